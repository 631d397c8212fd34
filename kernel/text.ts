import type { FieldProblem } from './errors';

/**
 * What every string must be before it is stored or sent on: PostgreSQL's text refuses U+0000 (22021), and a lone
 * UTF-16 surrogate cannot be written as UTF-8, so JSON columns and Kafka payloads refuse it. With the `u` flag a
 * surrogate class matches only a surrogate that is not half of a pair.
 */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

export function textProblem(value: string): string | undefined {
  if (value.includes('\u0000')) return 'must not contain NUL characters';
  if (LONE_SURROGATE.test(value)) return 'must be well-formed Unicode (no lone surrogates)';
  return undefined;
}

/** Every string in `value` (objects and arrays walked, keys included) that cannot be stored, named as a field. */
export function textProblems(value: unknown, field: string): FieldProblem[] {
  if (typeof value === 'string') {
    const message = textProblem(value);
    return message ? [{ field, message }] : [];
  }
  if (Array.isArray(value)) return value.flatMap((item, index) => textProblems(item, `${field}.${index}`));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, item]) => {
      const keyMessage = textProblem(key);
      return [
        ...(keyMessage ? [{ field: `${field}.${key}`, message: `name ${keyMessage}` }] : []),
        ...textProblems(item, `${field}.${key}`),
      ];
    });
  }
  return [];
}
