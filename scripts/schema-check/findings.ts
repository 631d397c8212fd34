/** One line of the schema check's report. */
export type Severity = 'error' | 'warning' | 'info';

export type Area = 'composition' | 'graph' | 'operations' | 'rest' | 'limits' | 'events' | 'storage' | 'boundaries';

export const AREAS: readonly Area[] = ['composition', 'graph', 'operations', 'rest', 'limits', 'events', 'storage', 'boundaries'];

export interface Finding {
  severity: Severity;
  area: Area;
  message: string;
}

/** The finding constructors of one area, so a check reads as a list of `error(...)`, `warning(...)`, `info(...)`. */
export function reporter(area: Area) {
  const make =
    (severity: Severity) =>
    (message: string): Finding => ({ severity, area, message });
  return { error: make('error'), warning: make('warning'), info: make('info') };
}

/** An Error's message, or whatever else was thrown, as one report line. */
export const messageOf = (thrown: unknown): string => (thrown instanceof Error ? thrown.message : String(thrown)).replace(/\s*\n\s*/g, ' ');
