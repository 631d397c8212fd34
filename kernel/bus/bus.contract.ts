import { randomUUID } from 'node:crypto';
import { eventually } from '../../test/support/eventually';
import type { EventBus, IncomingMessage, OutgoingMessage, Subscription } from './port';

/**
 * One suite for every EventBus adapter: what the memory bus promises is exactly what Kafka does, so that code
 * tested against the embedded default behaves the same in production. `makeBus` is called once per test.
 */
export function describeBusContract(name: string, makeBus: () => EventBus | Promise<EventBus>): void {
  describe(`EventBus contract: ${name}`, () => {
    jest.setTimeout(90_000);

    let current: EventBus | undefined;
    let subscriptions: Subscription[] = [];
    const bus = (): EventBus => {
      if (!current) {
        throw new Error(`no ${name} bus: makeBus() failed`);
      }
      return current;
    };
    const run = randomUUID().slice(0, 8);
    let counter = 0;
    const unique = (what: string): string => {
      counter += 1;
      return `test.${what}-${run}-${counter}`;
    };
    const topicFor = (what: string): string => `${unique(what)}.happened.v1`;

    beforeEach(async () => {
      current = await makeBus();
    });

    afterEach(async () => {
      const closing = current;
      const stopping = subscriptions;
      current = undefined;
      subscriptions = [];
      await Promise.all(stopping.map((s) => s.stop()));
      await closing?.close();
    });

    const subscribe = async (
      groupId: string,
      topic: string,
      handle: (message: IncomingMessage) => Promise<void>,
      fromBeginning = true,
    ): Promise<Subscription> => {
      const subscription = await bus().subscribe({ groupId, topics: [topic], fromBeginning, handle });
      subscriptions.push(subscription);
      return subscription;
    };

    const collector = (): {
      received: IncomingMessage[];
      handle: (message: IncomingMessage) => Promise<void>;
    } => {
      const received: IncomingMessage[] = [];
      return { received, handle: async (message) => void received.push(message) };
    };

    /** Messages for `keys`, `perKey` each, interleaved so that keys share publish calls. */
    const messagesFor = (keys: string[], perKey: number): OutgoingMessage[] =>
      Array.from({ length: perKey }, (_, n) => keys.map((key) => ({ key, value: `${key}:${n}`, headers: { 'x-seq': String(n) } }))).flat();

    const byKey = (messages: { key: string | null; value: string }[]): Map<string, string[]> => {
      const grouped = new Map<string, string[]>();
      for (const { key, value } of messages) {
        grouped.set(key ?? '', [...(grouped.get(key ?? '') ?? []), value]);
      }
      return grouped;
    };

    const publishAll = async (topic: string, messages: OutgoingMessage[], chunk = 7): Promise<void> => {
      for (let i = 0; i < messages.length; i += chunk) {
        await bus().publish(topic, messages.slice(i, i + chunk));
      }
    };

    /**
     * End of stream: publishes a marker after the last message of each key and waits until every audience (the
     * arrays that together receive the topic for one group) holds all of them. Order holds per key, so whatever the
     * bus would deliver before a marker (duplicates and redeliveries included) has arrived by then; the markers are
     * taken out again, leaving what the test sent to be asserted on.
     */
    const drain = async (topic: string, keys: string[], ...audiences: IncomingMessage[][][]): Promise<void> => {
      const end = `end-${randomUUID()}`;
      await bus().publish(
        topic,
        keys.map((key) => ({ key, value: end })),
      );
      const ended = (audience: IncomingMessage[][]): boolean =>
        keys.every((key) => audience.some((received) => received.some((m) => m.key === key && m.value === end)));
      await eventually(() => audiences.every(ended), 60_000, `the end markers of ${topic}`);
      for (const received of audiences.flat()) {
        const kept = received.filter((m) => m.value !== end);
        received.splice(0, received.length, ...kept);
      }
    };

    it('delivers every message once, in publish order per key, with key and headers', async () => {
      const topic = topicFor('order');
      await bus().ensureTopics([topic]);
      const sent = messagesFor(['a', 'b', 'c', 'd', 'e'], 8);
      const { received, handle } = collector();
      await subscribe(unique('group'), topic, handle);
      await publishAll(topic, sent);

      await drain(topic, ['a', 'b', 'c', 'd', 'e'], [received]);

      expect(received).toHaveLength(sent.length);
      expect(byKey(received)).toEqual(byKey(sent));
      for (const message of received) {
        expect(message.topic).toBe(topic);
        expect(message.headers['x-seq']).toBe(message.value.split(':')[1]);
        expect(message.partition).toBeGreaterThanOrEqual(0);
        expect(Number(message.offset)).toBeGreaterThanOrEqual(0);
      }
      const partitionsOfA = new Set(received.filter((m) => m.key === 'a').map((m) => m.partition));
      expect(partitionsOfA.size).toBe(1);
    });

    it('gives every message to each of two groups', async () => {
      const topic = topicFor('fanout');
      await bus().ensureTopics([topic]);
      const sent = messagesFor(['k1', 'k2', 'k3'], 5);
      const first = collector();
      const second = collector();
      await subscribe(unique('group'), topic, first.handle);
      await subscribe(unique('group'), topic, second.handle);
      await publishAll(topic, sent);

      await drain(topic, ['k1', 'k2', 'k3'], [first.received], [second.received]);

      expect(byKey(first.received)).toEqual(byKey(sent));
      expect(byKey(second.received)).toEqual(byKey(sent));
    });

    it('shares the partitions among the members of one group', async () => {
      const topic = topicFor('shared');
      await bus().ensureTopics([topic]);
      const groupId = unique('group');
      const sent = messagesFor(
        Array.from({ length: 12 }, (_, i) => `user-${i}`),
        3,
      );
      const first = collector();
      const second = collector();
      await subscribe(groupId, topic, first.handle);
      await subscribe(groupId, topic, second.handle);
      await publishAll(topic, sent);

      await drain(topic, [...new Set(sent.map((m) => m.key))], [first.received, second.received]);

      const all = [...first.received, ...second.received];
      expect(all).toHaveLength(sent.length);
      expect(byKey(all)).toEqual(byKey(sent));
      expect(first.received.length).toBeGreaterThan(0);
      expect(second.received.length).toBeGreaterThan(0);
      const partitionsOf = (messages: IncomingMessage[]): Set<number> => new Set(messages.map((m) => m.partition));
      const overlap = [...partitionsOf(first.received)].filter((p) => partitionsOf(second.received).has(p));
      expect(overlap).toEqual([]);
    });

    it('delivers a message again when its handler throws, losing and reordering nothing', async () => {
      const topic = topicFor('retry');
      await bus().ensureTopics([topic]);
      const sent = messagesFor(['x', 'y'], 6);
      const failOnce = new Set(['x:2', 'y:4']);
      const attempts: IncomingMessage[] = [];
      const handled: IncomingMessage[] = [];
      await subscribe(unique('group'), topic, async (message) => {
        attempts.push(message);
        if (failOnce.delete(message.value)) {
          throw new Error(`transient failure for ${message.value}`);
        }
        handled.push(message);
      });
      await publishAll(topic, sent, 3);

      await drain(topic, ['x', 'y'], [handled]);

      expect(byKey(handled)).toEqual(byKey(sent));
      for (const value of ['x:2', 'y:4']) {
        const deliveries = attempts.filter((m) => m.value === value);
        expect(deliveries).toHaveLength(2);
        expect(deliveries[1].offset).toBe(deliveries[0].offset);
      }
    });

    it('after stop(), a new member of the group gets what was not committed and nothing that was', async () => {
      const topic = topicFor('resume');
      await bus().ensureTopics([topic]);
      const groupId = unique('group');
      const first = collector();
      let refuse = false;
      const refused: string[] = [];
      const subscription = await subscribe(groupId, topic, async (message) => {
        if (refuse) {
          refused.push(message.value);
          throw new Error('not now');
        }
        await first.handle(message);
      });

      await publishAll(topic, messagesFor(['p', 'q'], 3));
      await eventually(() => first.received.length >= 6, 60_000);
      refuse = true;
      await bus().publish(topic, [{ key: 'p', value: 'p:3' }]);
      await eventually(() => refused.length >= 1, 60_000);
      await subscription.stop();
      await bus().publish(topic, [
        { key: 'p', value: 'p:4' },
        { key: 'q', value: 'q:3' },
      ]);

      const second = collector();
      await subscribe(groupId, topic, second.handle);
      await drain(topic, ['p', 'q'], [second.received]);

      expect(byKey(first.received)).toEqual(byKey(messagesFor(['p', 'q'], 3)));
      expect(byKey(second.received)).toEqual(
        new Map([
          ['p', ['p:3', 'p:4']],
          ['q', ['q:3']],
        ]),
      );
    });

    it('stop() waits for the handler in flight and commits its message', async () => {
      const topic = topicFor('inflight');
      await bus().ensureTopics([topic]);
      const groupId = unique('group');
      let release: () => void = () => undefined;
      const started: string[] = [];
      const subscription = await subscribe(groupId, topic, async (message) => {
        started.push(message.value);
        await new Promise<void>((resolve) => {
          release = resolve;
        });
      });
      await bus().publish(topic, [{ key: 'h', value: 'h:0' }]);
      await eventually(() => started.length === 1, 60_000);

      let stopped = false;
      const stopping = subscription.stop().then(() => {
        stopped = true;
      });
      await settle();
      expect(stopped).toBe(false);
      release();
      await stopping;

      await bus().publish(topic, [{ key: 'h', value: 'h:1' }]);
      const next = collector();
      await subscribe(groupId, topic, next.handle);
      await drain(topic, ['h'], [next.received]);

      expect(started).toEqual(['h:0']);
      expect(next.received.map((m) => m.value)).toEqual(['h:1']);
    });

    it('replays from the beginning for a new group, and starts at the end without fromBeginning', async () => {
      const topic = topicFor('replay');
      await bus().ensureTopics([topic]);
      const early = messagesFor(['m', 'n'], 4);
      const pioneer = collector();
      await subscribe(unique('group'), topic, pioneer.handle);
      await publishAll(topic, early);
      await eventually(() => pioneer.received.length >= early.length, 60_000);

      const replaying = collector();
      const fromNow = collector();
      await subscribe(unique('group'), topic, replaying.handle, true);
      await subscribe(unique('group'), topic, fromNow.handle, false);
      const late = [{ key: 'm', value: 'm:late' }];
      await bus().publish(topic, late);

      await drain(topic, ['m', 'n'], [replaying.received], [fromNow.received]);

      expect(byKey(replaying.received)).toEqual(byKey([...early, ...late]));
      expect(fromNow.received.map((m) => m.value)).toEqual(['m:late']);
    });
  });
}

/** Gives stop() the time to return early, as it would if it did not wait for the handler in flight. */
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 300));
