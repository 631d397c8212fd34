import { repoRoot } from '../kernel/paths';
import { GitBase } from './schema-check/base';
import { type Area, AREAS, type Finding, runSchemaCheck, type Severity } from './schema-check/index';

/**
 * `npm run schema:check [-- --base <git-ref>] [--only <area,...>]`: the working tree against the committed
 * artefacts (or those of another ref), one line per finding, errors first. Exits 1 when any finding is an error.
 */
const USAGE = `usage: schema-check [--base <git-ref>] [--only <area>[,<area>...]]
  areas: ${AREAS.join(', ')}`;

const ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

function parseArgs(argv: string[]): { baseRef: string; areas: Area[] } | string {
  let baseRef = 'HEAD';
  let areas: Area[] = [...AREAS];
  for (let i = 0; i < argv.length; i += 1) {
    const value = argv[i + 1];
    if (argv[i] === '--base' && value) {
      baseRef = value;
      i += 1;
    } else if (argv[i] === '--only' && value) {
      const asked = value.split(',');
      const unknown = asked.filter((area) => !(AREAS as readonly string[]).includes(area));
      if (unknown.length) return `unknown area ${unknown.join(', ')}\n${USAGE}`;
      areas = asked as Area[];
      i += 1;
    } else {
      return USAGE;
    }
  }
  return { baseRef, areas };
}

function formatReport(findings: Finding[]): string {
  const lines = [...findings]
    .sort((a, b) => ORDER[a.severity] - ORDER[b.severity] || AREAS.indexOf(a.area) - AREAS.indexOf(b.area))
    .map((f) => `${f.severity.padEnd(7)} ${f.area.padEnd(11)} ${f.message.replace(/\s*\n\s*/g, ' ')}`);
  const count = (severity: Severity) => findings.filter((f) => f.severity === severity).length;
  const errors = count('error');
  lines.push('', `${errors} error(s), ${count('warning')} warning(s), ${count('info')} info: ${errors ? 'FAILED' : 'passed'}`);
  return lines.join('\n');
}

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (typeof args === 'string') {
    console.error(args);
    return 2;
  }
  const started = Date.now();
  console.log(`schema check of ${repoRoot} against ${GitBase.open(repoRoot, args.baseRef).label}: ${args.areas.join(', ')}`);
  const findings = await runSchemaCheck({ root: repoRoot, baseRef: args.baseRef, areas: args.areas });
  console.log(formatReport(findings));
  console.log(`(${((Date.now() - started) / 1000).toFixed(1)} s)`);
  return findings.some((f) => f.severity === 'error') ? 1 : 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (thrown: unknown) => {
      console.error(`schema check failed to run: ${thrown instanceof Error ? thrown.message : String(thrown)}`);
      process.exitCode = 2;
    },
  );
}
