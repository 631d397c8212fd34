import { execFileSync } from 'node:child_process';

/**
 * The artefacts as a git commit has them: the base the working tree is compared with. Paths are relative to the
 * checked tree's root, which need not be the top of its repository.
 */
export class GitBase {
  private readonly files: Set<string>;

  private constructor(
    private readonly root: string,
    /** What the report calls the base: the ref as given and the commit it names. */
    readonly label: string,
    private readonly commit: string,
  ) {
    this.files = new Set(this.git('ls-tree', '-r', '--name-only', commit).split('\n').filter(Boolean));
  }

  static open(root: string, ref: string): GitBase {
    let commit: string;
    try {
      commit = execFileSync('git', ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], {
        cwd: root,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      }).trim();
    } catch {
      throw new Error(`the base ${ref} is not a commit of the git repository at ${root}`);
    }
    return new GitBase(root, `${ref} (${commit.slice(0, 12)})`, commit);
  }

  /** The file's text at the base; undefined when the base has no such file (it is new). */
  read(path: string): string | undefined {
    return this.files.has(path) ? this.git('show', `${this.commit}:./${path}`) : undefined;
  }

  /** The base's files under a folder, recursively, in name order. */
  list(dir: string): string[] {
    const prefix = `${dir.replace(/\/+$/, '')}/`;
    return [...this.files].filter((file) => file.startsWith(prefix)).sort();
  }

  private git(...args: string[]): string {
    return execFileSync('git', args, { cwd: this.root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  }
}
