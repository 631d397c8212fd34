/**
 * The event bus port. Two adapters implement it: `kafka.ts` (kafkajs, a real broker) and `memory.ts`
 * (in-process, the embedded default). Both honour the same semantics, proven by one contract suite:
 * per-key ordering within a partition, consumer groups that share work and keep committed offsets,
 * at-least-once delivery (a message whose handler did not return is delivered again), replay from the start.
 */
export interface OutgoingMessage {
  key: string;
  value: string;
  headers?: Record<string, string>;
}

export interface IncomingMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: string;
  headers: Record<string, string>;
}

export interface SubscribeOptions {
  groupId: string;
  topics: string[];
  /**
   * Where a group with no committed offset starts: the oldest message kept, or (false, the default) the end as
   * of subscribe(), which resolves only once that position is fixed, so a publish that follows it is delivered.
   */
  fromBeginning?: boolean;
  /**
   * Called once per message, one at a time per subscription, in order per partition. The offset is committed
   * only after it resolves (with those after it, at the end of their batch or within a second); if it throws, the
   * message is not committed and is delivered again after a growing delay, and the later messages of its partition
   * wait for it. A process that dies delivers again what it handled and had not committed yet: handlers deduplicate.
   */
  handle(message: IncomingMessage): Promise<void>;
  /**
   * False: no offset is ever committed (true by default). For readers that keep no position because they start at
   * the end every time, such as a fan-out gateway whose every instance has a group of its own: a commit per
   * message would cost a broker round trip each for a position nobody reads. The memory bus keeps positions in
   * its process either way.
   */
  commitOffsets?: boolean;
}

export interface Subscription {
  /** Stops fetching, waits for the in-flight handler, commits what was handled, leaves the group. */
  stop(): Promise<void>;
  /**
   * Whether it stopped for good without being asked (the client gave up on an error it does not retry): nothing
   * is consumed any more, and only a restart of the process brings it back.
   */
  crashed(): boolean;
}

export interface EventBus {
  readonly kind: 'kafka' | 'memory';
  ensureTopics(topics: string[]): Promise<void>;
  publish(topic: string, messages: OutgoingMessage[]): Promise<void>;
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  /** True when the bus can take a publish now (readiness probes call this). */
  healthy(): Promise<boolean>;
  close(): Promise<void>;
}
