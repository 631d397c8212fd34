import { appendFileSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { dropDatabase, withDatabase } from '../../kernel/db/admin';
import { listDomains, migrateCheck, migrateDeploy, PRISMA_DIR } from '../../scripts/migrate';

const testDatabaseUrl = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/platform_test';

describe('migrations', () => {
  const url = withDatabase(testDatabaseUrl, `migrations_test_${process.pid}`);

  afterAll(() => dropDatabase(url));

  it('should create the database, apply every domain history into its own schema, then apply nothing', async () => {
    const first = await migrateDeploy(url);
    expect(first.map((result) => result.domain)).toEqual(listDomains());
    for (const result of first) expect(result.applied.length).toBeGreaterThan(0);

    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query<{ schema: string; migrations: number }>(
        `SELECT table_schema AS schema, count(*)::int AS migrations FROM information_schema.tables
          WHERE table_name = '_prisma_migrations' GROUP BY table_schema ORDER BY table_schema`,
      );
      expect(rows).toEqual(first.map((result) => ({ schema: result.domain, migrations: 1 })));
    } finally {
      await client.end();
    }

    const second = await migrateDeploy(url);
    expect(second).toEqual(first.map((result) => ({ domain: result.domain, applied: [] })));
  });

  it('should find the committed schemas covered by their migrations', async () => {
    await expect(migrateCheck(url)).resolves.toEqual([]);
  });

  it('should report a schema change that no migration covers', async () => {
    const prismaDir = mkdtempSync(path.join(tmpdir(), 'prisma-drift-'));
    try {
      cpSync(path.join(PRISMA_DIR, 'chnl'), path.join(prismaDir, 'chnl'), { recursive: true });
      appendFileSync(
        path.join(prismaDir, 'chnl', 'schema.prisma'),
        '\nmodel Drifted {\n  id Int @id\n\n  @@map("drifted")\n  @@schema("chnl")\n}\n',
      );

      const drifts = await migrateCheck(url, ['chnl'], { prismaDir });

      expect(drifts).toEqual([{ domain: 'chnl', summary: expect.stringContaining('drifted') }]);
    } finally {
      rmSync(prismaDir, { recursive: true, force: true });
    }
  });
});
