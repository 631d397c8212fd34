import { randomUUID } from 'node:crypto';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { EventsByTopic } from '../contracts/events/types';
import { loadEventContracts } from './event-contracts';

export type Topic = keyof EventsByTopic;
export type EventOf<T extends Topic> = EventsByTopic[T];
export type EventData<T extends Topic> = EventOf<T>['data'];

/** Raised when a payload breaks its topic's contract: a producer bug, or a poison message for a consumer. */
export class ContractViolation extends Error {
  constructor(
    readonly topic: string,
    readonly problems: string[],
  ) {
    super(`${topic}: ${problems.join('; ')}`);
  }
}

let validators: Map<string, ValidateFunction> | undefined;

function validatorFor(topic: string): ValidateFunction {
  if (!validators) {
    const ajv = new Ajv2020({ allErrors: true, strict: true });
    addFormats(ajv);
    validators = new Map(loadEventContracts().map((c) => [c.topic, ajv.compile(c.schema)]));
  }
  const validate = validators.get(topic);
  if (!validate) throw new ContractViolation(topic, ['no contract for this topic']);
  return validate;
}

export function assertEvent<T extends Topic>(topic: T, event: unknown): EventOf<T> {
  const validate = validatorFor(topic);
  if (!validate(event)) {
    throw new ContractViolation(
      topic,
      (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`),
    );
  }
  return event as EventOf<T>;
}

/** Builds an event for a topic and checks it against the topic's schema before it can reach an outbox. */
export function makeEvent<T extends Topic>(topic: T, data: EventData<T>, occurredAt = new Date()): EventOf<T> {
  return assertEvent(topic, { id: randomUUID(), type: topic, occurredAt: occurredAt.toISOString(), data });
}

/** Parses a consumed message; anything that is not valid JSON matching the contract is a poison message. */
export function parseEvent<T extends Topic>(topic: T, value: string): EventOf<T> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new ContractViolation(topic, ['value is not JSON']);
  }
  return assertEvent(topic, parsed);
}
