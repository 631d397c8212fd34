import type { EventBus } from './port';

/**
 * Prefixes every topic and consumer group of a bus, so that several environments (or test runs) can share one
 * Kafka cluster without reading each other's events. Code above the bus keeps using the contract's topic names.
 */
export function namespacedBus(bus: EventBus, prefix: string): EventBus {
  if (!prefix) return bus;
  const outer = (topic: string) => `${prefix}${topic}`;
  const inner = (topic: string) => (topic.startsWith(prefix) ? topic.slice(prefix.length) : topic);
  return {
    kind: bus.kind,
    ensureTopics: (topics) => bus.ensureTopics(topics.map(outer)),
    publish: (topic, messages) => bus.publish(outer(topic), messages),
    subscribe: (options) =>
      bus.subscribe({
        ...options,
        groupId: `${prefix}${options.groupId}`,
        topics: options.topics.map(outer),
        handle: (message) => options.handle({ ...message, topic: inner(message.topic) }),
      }),
    healthy: () => bus.healthy(),
    close: () => bus.close(),
  };
}
