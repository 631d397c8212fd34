import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromRoot } from './paths';

/** Event contracts: one JSON Schema per topic in `contracts/events/`, the file named after the topic. */
export const EVENTS_DIR = fromRoot('contracts', 'events');

export interface EventContract {
  topic: string;
  schema: Record<string, unknown> & { title: string };
}

/** `dir` is another copy's contracts folder (a schema check of a scratch tree); the repository's by default. */
export function loadEventContracts(dir: string = EVENTS_DIR): EventContract[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({
      topic: file.slice(0, -'.json'.length),
      schema: JSON.parse(readFileSync(join(dir, file), 'utf8')),
    }));
}
