import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { redact } from '../../kernel/db/admin';
import { migrateCheck } from '../migrate';
import type { GitBase } from './base';
import { type Finding, messageOf, reporter } from './findings';

const { error, info } = reporter('storage');

const MIGRATION = /^prisma\/([^/]+)\/migrations\/([^/]+)\/migration\.sql$/;

/** Migrations only go forward: one that databases may have applied is never edited or removed. */
function historyFindings(root: string, base: GitBase): Finding[] {
  const findings: Finding[] = [];
  const published = new Set<string>();
  for (const file of base.list('prisma')) {
    const match = MIGRATION.exec(file);
    if (!match) continue;
    published.add(file);
    const [, domain, name] = match;
    const path = join(root, file);
    if (!existsSync(path)) {
      findings.push(error(`${domain}: the committed migration ${name} was removed; databases have applied it`));
    } else if (readFileSync(path, 'utf8') !== base.read(file)) {
      findings.push(error(`${domain}: the committed migration ${name} was edited; add a new migration instead`));
    }
  }
  const prismaDir = join(root, 'prisma');
  for (const domain of existsSync(prismaDir) ? readdirSync(prismaDir) : []) {
    const migrations = join(prismaDir, domain, 'migrations');
    if (!existsSync(migrations)) continue;
    for (const name of readdirSync(migrations)) {
      if (existsSync(join(migrations, name, 'migration.sql')) && !published.has(`prisma/${domain}/migrations/${name}/migration.sql`)) {
        findings.push(info(`${domain}: new migration ${name}`));
      }
    }
  }
  return findings;
}

/**
 * Every domain's schema.prisma is what its migrations build (replayed on a throw-away shadow database on the
 * server of `databaseUrl`), and the committed history is unchanged.
 */
export async function checkStorage(root: string, base: GitBase, databaseUrl: string): Promise<Finding[]> {
  const findings = historyFindings(root, base);
  try {
    const drifts = await migrateCheck(databaseUrl, undefined, { prismaDir: join(root, 'prisma') });
    for (const { domain, summary } of drifts) {
      findings.push(
        error(
          `${domain}: prisma/${domain}/schema.prisma has changes no migration covers (${messageOf(summary)}); ` +
            `create one with \`npm run db:create -- ${domain} <name>\``,
        ),
      );
    }
    if (!drifts.length) findings.push(info("every domain's schema.prisma is covered by its migrations"));
  } catch (thrown) {
    findings.push(error(`the migrations could not be checked on ${redact(databaseUrl)}: ${messageOf(thrown)}`));
  }
  return findings;
}
