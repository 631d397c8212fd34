import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { type EventContract, loadEventContracts } from '../../kernel/event-contracts';
import type { GitBase } from './base';
import { type Finding, messageOf, reporter } from './findings';
import { compareSchemas, type SchemaChange } from './schema-compat';

const { error, warning, info } = reporter('events');

const EVENTS = 'contracts/events';
const DIALECT = 'https://json-schema.org/draft/2020-12/schema';
const TOPIC = /^([a-z][a-z0-9]*)\.[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*\.v[1-9][0-9]*$/;

/** The domains of the tree: each has a subgraph folder or a Prisma folder, and prefixes its topics. */
function domainsOf(root: string): Set<string> {
  const dirs = (folder: string) =>
    existsSync(join(root, folder))
      ? readdirSync(join(root, folder), { withFileTypes: true })
          .filter((e) => e.isDirectory())
          .map((e) => e.name)
      : [];
  return new Set([...dirs('subgraphs'), ...dirs('prisma')]);
}

function contractProblems({ topic, schema }: EventContract, domains: Set<string>, ajv: Ajv2020): string[] {
  const problems: string[] = [];
  const domain = TOPIC.exec(topic)?.[1];
  if (!domain) {
    problems.push('the topic is not named {domain}.{entity}.{event}.v{N}');
  } else if (!domains.has(domain)) {
    problems.push(`${domain} is not a domain of the repository (${[...domains].join(', ')})`);
  }
  if (schema.$schema !== DIALECT) problems.push(`$schema must be ${DIALECT}`);
  if (typeof schema.title !== 'string') problems.push('the schema needs a title (the name of its generated type)');
  const properties = schema.properties as Record<string, { const?: unknown }> | undefined;
  if (properties?.type?.const !== topic) problems.push(`properties.type must be { "const": "${topic}" }`);
  try {
    ajv.compile(schema);
  } catch (thrown) {
    problems.push(`not a valid JSON Schema 2020-12: ${messageOf(thrown)}`);
  }
  return problems;
}

/** Within a topic's version, a consumer must read every event the old and the new schema allow alike. */
function compatibility(topic: string, change: SchemaChange): Finding {
  const field = `${topic}: field ${change.path || '(root)'}`;
  const fix = 'publish a new version of the topic beside this one instead';
  switch (change.kind) {
    case 'removed':
      return error(`${field} was removed; ${fix}`);
    case 'retyped':
      return error(`${field} changed from ${change.from} to ${change.to}; ${fix}`);
    case 'required':
      return error(`${field} became required; events already published lack it; ${fix}`);
    case 'optional':
      return error(`${field} is no longer required; consumers rely on it; ${fix}`);
    case 'added':
      return change.required
        ? error(`${field} was added as required; events already published lack it; add it as optional or ${fix}`)
        : info(`${field} was added (optional)`);
  }
}

/**
 * Every topic's contract is a valid JSON Schema 2020-12 named `{domain}.{entity}.{event}.v{N}` after a domain of
 * the tree; a topic the base had keeps its version's contract compatible and is not removed.
 */
export function checkEvents(root: string, base: GitBase): Finding[] {
  let contracts: EventContract[];
  try {
    contracts = loadEventContracts(join(root, EVENTS));
  } catch (thrown) {
    return [error(`the event contracts cannot be read: ${messageOf(thrown)}`)];
  }
  const domains = domainsOf(root);
  // One validator for every topic, with the options kernel/events.ts validates produced and consumed events with.
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  addFormats(ajv);
  const findings: Finding[] = [];
  for (const contract of contracts) {
    findings.push(...contractProblems(contract, domains, ajv).map((problem) => error(`${contract.topic}: ${problem}`)));
    const baseText = base.read(`${EVENTS}/${contract.topic}.json`);
    if (baseText === undefined) {
      findings.push(info(`${contract.topic}: a new topic`));
      continue;
    }
    let baseSchema: unknown;
    try {
      baseSchema = JSON.parse(baseText);
    } catch (thrown) {
      findings.push(warning(`${contract.topic}: the base contract is not JSON, not compared: ${messageOf(thrown)}`));
      continue;
    }
    findings.push(...compareSchemas(baseSchema, contract.schema).map((change) => compatibility(contract.topic, change)));
  }
  const topics = new Set(contracts.map((c) => c.topic));
  for (const file of base.list(EVENTS)) {
    const topic = file.slice(EVENTS.length + 1).replace(/\.json$/, '');
    if (file.endsWith('.json') && !topic.includes('/') && !topics.has(topic)) {
      findings.push(error(`${topic}: the published topic's contract was removed; consumers still read it`));
    }
  }
  if (!findings.some((f) => f.severity === 'error')) {
    findings.push(info(`${contracts.length} topics, each with a valid JSON Schema 2020-12 contract`));
  }
  return findings;
}
