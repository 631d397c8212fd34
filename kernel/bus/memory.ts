import type { EventBus, IncomingMessage, OutgoingMessage, SubscribeOptions, Subscription } from './port';

/** Same as the Kafka topics this bus stands in for, so that partition-dependent behaviour matches. */
const PARTITIONS = 3;

interface StoredMessage {
  key: string;
  value: string;
  headers: Record<string, string>;
}

interface PartitionRef {
  topic: string;
  partition: number;
}

interface Member {
  readonly options: SubscribeOptions;
  assigned: PartitionRef[];
  cursor: number;
  stopping: boolean;
  wake(): void;
}

interface Group {
  members: Member[];
  committed: Map<string, number>;
  /**
   * Start positions of partitions without a committed offset, forgotten at each rebalance as a Kafka client
   * forgets its reset position when it rejoins.
   */
  starts: Map<string, number>;
  /** A partition is handled by one member at a time, even while a rebalance moves it to another. */
  busy: Set<string>;
  failures: Map<string, number>;
  retryAt: Map<string, number>;
}

const partitionKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/** FNV-1a: stable across runs, so a key always lands in the same partition. */
function partitionFor(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i += 1) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % PARTITIONS;
}

const redeliveryDelayMs = (failures: number): number => Math.min(100 * 2 ** (failures - 1), 10_000);

/**
 * The in-process event bus for running everything in one process without Kafka. It keeps Kafka's semantics
 * (partitions by key, consumer groups sharing partitions, committed offsets, redelivery of what was not
 * committed, replay for a new group) so that code tested against it behaves the same on a broker. It keeps every
 * message for the life of the process.
 */
export function createMemoryBus(): EventBus {
  const topics = new Map<string, StoredMessage[][]>();
  const groups = new Map<string, Group>();
  let closed = false;
  const active = new Set<Subscription>();

  const topicLog = (topic: string): StoredMessage[][] => {
    let log = topics.get(topic);
    if (!log) {
      log = Array.from({ length: PARTITIONS }, () => []);
      topics.set(topic, log);
    }
    return log;
  };

  const groupOf = (groupId: string): Group => {
    let group = groups.get(groupId);
    if (!group) {
      group = {
        members: [],
        committed: new Map(),
        starts: new Map(),
        busy: new Set(),
        failures: new Map(),
        retryAt: new Map(),
      };
      groups.set(groupId, group);
    }
    return group;
  };

  const rebalance = (group: Group): void => {
    group.starts.clear();
    for (const member of group.members) {
      member.assigned = [];
    }
    const subscribed = new Set(group.members.flatMap((m) => m.options.topics));
    for (const topic of subscribed) {
      const owners = group.members.filter((m) => m.options.topics.includes(topic));
      for (let partition = 0; partition < PARTITIONS; partition += 1) {
        owners[partition % owners.length].assigned.push({ topic, partition });
      }
    }
    for (const member of group.members) {
      // Resolved now, not at first delivery: a member that starts at the end must not miss what is published
      // right after subscribe() returns.
      for (const ref of member.assigned) positionOf(group, member, ref);
      member.wake();
    }
  };

  const positionOf = (group: Group, member: Member, ref: PartitionRef): number => {
    const key = partitionKey(ref.topic, ref.partition);
    const committed = group.committed.get(key);
    if (committed !== undefined) {
      return committed;
    }
    let start = group.starts.get(key);
    if (start === undefined) {
      start = member.options.fromBeginning ? 0 : topicLog(ref.topic)[ref.partition].length;
      group.starts.set(key, start);
    }
    return start;
  };

  type Next = { ref: PartitionRef; offset: number } | { waitMs: number };

  const nextFor = (group: Group, member: Member): Next => {
    let waitMs = Infinity;
    const count = member.assigned.length;
    for (let step = 0; step < count; step += 1) {
      const index = (member.cursor + step) % count;
      const ref = member.assigned[index];
      const key = partitionKey(ref.topic, ref.partition);
      if (group.busy.has(key)) {
        continue;
      }
      const retryAt = group.retryAt.get(key) ?? 0;
      if (retryAt > Date.now()) {
        waitMs = Math.min(waitMs, retryAt - Date.now());
        continue;
      }
      const offset = positionOf(group, member, ref);
      if (offset < topicLog(ref.topic)[ref.partition].length) {
        // Round robin, so that a busy partition does not starve the others of this member.
        member.cursor = index + 1;
        return { ref, offset };
      }
    }
    return { waitMs };
  };

  const deliver = async (group: Group, member: Member, ref: PartitionRef, offset: number): Promise<void> => {
    const key = partitionKey(ref.topic, ref.partition);
    const stored = topicLog(ref.topic)[ref.partition][offset];
    const message: IncomingMessage = {
      topic: ref.topic,
      partition: ref.partition,
      offset: String(offset),
      key: stored.key,
      value: stored.value,
      headers: { ...stored.headers },
    };
    group.busy.add(key);
    try {
      await member.options.handle(message);
      group.committed.set(key, offset + 1);
      group.failures.delete(key);
      group.retryAt.delete(key);
    } catch {
      const failures = (group.failures.get(key) ?? 0) + 1;
      group.failures.set(key, failures);
      group.retryAt.set(key, Date.now() + redeliveryDelayMs(failures));
    } finally {
      group.busy.delete(key);
    }
  };

  const subscribe = async (options: SubscribeOptions): Promise<Subscription> => {
    if (closed) {
      throw new Error('the memory bus is closed');
    }
    for (const topic of options.topics) {
      topicLog(topic);
    }
    const group = groupOf(options.groupId);
    let signal: (() => void) | undefined;
    const member: Member = {
      options,
      assigned: [],
      cursor: 0,
      stopping: false,
      wake: () => signal?.(),
    };

    const sleep = (ms: number): Promise<void> =>
      new Promise((resolve) => {
        const timer = Number.isFinite(ms) ? setTimeout(() => wake(), ms) : undefined;
        const wake = (): void => {
          clearTimeout(timer);
          signal = undefined;
          resolve();
        };
        signal = wake;
      });

    const loop = async (): Promise<void> => {
      // Handlers never run inside subscribe() or publish(): only from a later turn of the event loop.
      await new Promise((resolve) => setImmediate(resolve));
      while (!member.stopping) {
        const next = nextFor(group, member);
        if ('waitMs' in next) {
          await sleep(next.waitMs);
          continue;
        }
        await deliver(group, member, next.ref, next.offset);
        // The partition is free again: a member it was moved to while busy may be waiting for it.
        for (const other of group.members) {
          if (other !== member) {
            other.wake();
          }
        }
      }
    };

    group.members.push(member);
    rebalance(group);
    const running = loop();

    let stopped: Promise<void> | undefined;
    const subscription: Subscription = {
      // In-process delivery has no client that could give up: a handler's failure comes back as a retry.
      crashed: () => false,
      stop: () => {
        stopped ??= (async () => {
          member.stopping = true;
          member.wake();
          await running;
          group.members = group.members.filter((m) => m !== member);
          rebalance(group);
          active.delete(subscription);
        })();
        return stopped;
      },
    };
    active.add(subscription);
    return subscription;
  };

  return {
    kind: 'memory',
    async ensureTopics(names: string[]): Promise<void> {
      for (const name of names) {
        topicLog(name);
      }
    },
    async publish(topic: string, messages: OutgoingMessage[]): Promise<void> {
      if (closed) {
        throw new Error('the memory bus is closed');
      }
      const log = topicLog(topic);
      for (const message of messages) {
        log[partitionFor(message.key)].push({
          key: message.key,
          value: message.value,
          headers: { ...message.headers },
        });
      }
      const interested = [...groups.values()].flatMap((group) => group.members).filter((member) => member.options.topics.includes(topic));
      setImmediate(() => {
        for (const member of interested) member.wake();
      });
    },
    subscribe,
    async healthy(): Promise<boolean> {
      return !closed;
    },
    async close(): Promise<void> {
      closed = true;
      await Promise.all([...active].map((subscription) => subscription.stop()));
    },
  };
}
