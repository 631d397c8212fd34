import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fromRoot } from '../../kernel/paths';
import { type Finding, messageOf, reporter, type Severity } from './findings';

const { error, info } = reporter('boundaries');

const CONFIG = '.dependency-cruiser.cjs';
/** The folders the rules constrain; bin/, bench/, test/ and scripts/ are composition roots and import anything. */
const CONSTRAINED = ['subgraphs', 'router', 'rest-facade', 'kernel', 'realtime'];
// dependency-cruiser is published as ES modules only, which jest's loader cannot require: it runs as its own CLI.
const DEPCRUISE = fromRoot('node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');

interface CruiseSummary {
  violations: { from: string; to: string; rule: { name: string; severity: 'error' | 'warn' | 'info' } }[];
  totalCruised: number;
  ruleSetUsed: { forbidden?: { name: string; comment?: string }[] };
}

const SEVERITY: Record<CruiseSummary['violations'][number]['rule']['severity'], Severity> = {
  error: 'error',
  warn: 'warning',
  info: 'info',
};

/** The import rules of `.dependency-cruiser.cjs` (domain boundaries), checked by dependency-cruiser over `root`. */
export async function checkBoundaries(root: string): Promise<Finding[]> {
  if (!existsSync(join(root, CONFIG))) return [error(`${CONFIG} is missing: the domain boundaries are not checked`)];
  const folders = CONSTRAINED.filter((folder) => existsSync(join(root, folder)));
  let output: string;
  try {
    ({ stdout: output } = await promisify(execFile)(
      process.execPath,
      [DEPCRUISE, '--config', CONFIG, '--output-type', 'json', ...folders],
      { cwd: root, maxBuffer: 256 * 1024 * 1024 },
    ));
  } catch (thrown) {
    return [error(`dependency-cruiser failed: ${messageOf(thrown)}`)];
  }
  const summary = (JSON.parse(output) as { summary: CruiseSummary }).summary;
  const comments = new Map((summary.ruleSetUsed.forbidden ?? []).map((rule) => [rule.name, rule.comment]));
  const findings: Finding[] = summary.violations.map(({ from, to, rule }) => ({
    severity: SEVERITY[rule.severity],
    area: 'boundaries',
    message: `${from} imports ${to} (${rule.name})${comments.get(rule.name) ? `: ${comments.get(rule.name)}` : ''}`,
  }));
  if (!findings.length) {
    findings.push(info(`${summary.totalCruised} modules of ${folders.join(', ')} keep to the boundaries of ${CONFIG}`));
  }
  return findings;
}
