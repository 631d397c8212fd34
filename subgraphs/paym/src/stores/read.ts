import { isUuid } from '../../../../kernel/ids';
import type { Subscriber } from './port';

/** A value deep in a store's JSON, or undefined: stores' payloads are read defensively, field by field. */
export function pick(value: unknown, ...path: (string | number)[]): unknown {
  let at = value;
  for (const key of path) {
    if (typeof at !== 'object' || at === null) return undefined;
    at = (at as Record<string | number, unknown>)[key];
  }
  return at;
}

export const text = (value: unknown): string | undefined => (typeof value === 'string' && value ? value : undefined);

export const integer = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isSafeInteger(value)
    ? value
    : typeof value === 'string' && /^\d{1,15}$/.test(value)
      ? Number(value)
      : undefined;

/** A Stripe field that is an id or, expanded, the object holding it. */
export const idOf = (value: unknown): string | undefined => text(value) ?? text(pick(value, 'id'));

/** Unix seconds (Stripe) to a Date. */
export const fromSeconds = (value: unknown): Date | undefined => {
  const seconds = integer(value);
  return seconds === undefined ? undefined : new Date(seconds * 1000);
};

/** Milliseconds since the epoch (Apple, Google) to a Date. */
export const fromMillis = (value: unknown): Date | undefined => {
  const millis = integer(value);
  return millis === undefined ? undefined : new Date(millis);
};

/** Who bought which tier of which channel, as the platform wrote it in the store's metadata at checkout. */
export function subscriberOf(metadata: unknown): Subscriber | undefined {
  const userId = text(pick(metadata, 'userId'));
  const channelId = text(pick(metadata, 'channelId'));
  const tier = integer(pick(metadata, 'tier'));
  if (!userId || !channelId || !isUuid(userId) || !isUuid(channelId) || !tier || tier < 1 || tier > 3) return undefined;
  return { userId, channelId, tier };
}
