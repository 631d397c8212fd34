import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keepSecretFile } from './everything';

describe(keepSecretFile.name, () => {
  const dir = mkdtempSync(join(tmpdir(), 'secret-file-'));

  it('should write a new secret file readable by its owner only', () => {
    const file = join(dir, 'nested', 'new.totp');
    keepSecretFile(file, 'SECRET');
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('should make a file an earlier run left readable to others its owner’s alone', () => {
    const file = join(dir, 'old.totp');
    writeFileSync(file, 'OLD', { mode: 0o644 });
    keepSecretFile(file, 'NEW');
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});
