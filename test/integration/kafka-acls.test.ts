import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { devKafkaPassword } from '../../kernel/bus/credentials';
import { createKafkaBus } from '../../kernel/bus/kafka';
import { namespacedBus } from '../../kernel/bus/namespace';
import type { EventBus, IncomingMessage } from '../../kernel/bus/port';
import { fromRoot } from '../../kernel/paths';
import { eventually } from '../support/eventually';
import { kafkaBusForTests, testKafkaBrokers } from '../support/kafka';

/**
 * The test broker authenticates every client (SASL/SCRAM) and lets each principal write its own topics only
 * (scripts/kafka/principals.json, granted by `scripts/kafka.sh acls` in this test's namespace): a forged event on
 * another domain's topic is refused by Kafka itself, whatever the consumers would make of it.
 */
describe('Kafka principals and their ACLs', () => {
  const prefix = `t${randomBytes(4).toString('hex')}.`;
  const buses: EventBus[] = [];
  let admin: EventBus;

  const as = (principal: string, password = devKafkaPassword(principal)) => {
    const bus = namespacedBus(
      createKafkaBus({ brokers: testKafkaBrokers(), clientId: `acl-${principal}`, sasl: { username: principal, password } }),
      prefix,
    );
    buses.push(bus);
    return bus;
  };
  const send = (bus: EventBus, topic: string) => bus.publish(topic, [{ key: 'k', value: JSON.stringify({ id: randomUUID() }) }]);
  const refused = expect.objectContaining({ message: expect.stringMatching(/not authorized/i) });

  beforeAll(async () => {
    const [host, port] = testKafkaBrokers()[0].split(':');
    if (host !== '127.0.0.1' && host !== 'localhost')
      throw new Error(`the ACLs are granted through scripts/kafka.sh, on a local broker only (${host})`);
    execFileSync('bash', [fromRoot('scripts', 'kafka.sh'), 'acls', prefix], { env: { ...process.env, KAFKA_PORT: port }, stdio: 'pipe' });
    admin = namespacedBus(await kafkaBusForTests('acl-admin'), prefix);
    buses.push(admin);
    await admin.ensureTopics(['user.account.suspended.v1', 'chat.message.created.v1', 'live.viewers.counted.v1', 'live.stream.started.v1']);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(buses.map((bus) => bus.close()));
  });

  it("should refuse a principal's writes to another domain's topic and accept its own, and its dead letters of any", async () => {
    const chat = as('chat');
    await expect(send(chat, 'user.account.suspended.v1')).rejects.toEqual(refused);
    await expect(send(chat, 'chat.message.created.v1')).resolves.toBeUndefined();
    await chat.ensureTopics(['user.account.suspended.v1.dlt']);
    await expect(send(chat, 'user.account.suspended.v1.dlt')).resolves.toBeUndefined();
    await expect(send(as('user'), 'user.account.suspended.v1')).resolves.toBeUndefined();
  });

  it('should let rt-gtw report viewer counts only, and the gateways write nothing', async () => {
    const rt = as('rt');
    await expect(send(rt, 'live.viewers.counted.v1')).resolves.toBeUndefined();
    await expect(send(rt, 'live.stream.started.v1')).rejects.toEqual(refused);
    await expect(send(as('gateway'), 'chat.message.created.v1')).rejects.toEqual(refused);
  });

  it("should let every principal read other domains' topics in a group of its own", async () => {
    const received: IncomingMessage[] = [];
    const subscription = await as('gateway').subscribe({
      groupId: 'acl-reader',
      topics: ['user.account.suspended.v1'],
      fromBeginning: true,
      handle: async (message) => void received.push(message),
    });
    try {
      await eventually(() => received.length > 0, 30_000, 'the user topic read by the gateway principal');
    } finally {
      await subscription.stop();
    }
  });

  it('should refuse a client whose password is wrong', async () => {
    expect(await as('chat', 'not-the-password-of-chat-at-all-no').healthy()).toBe(false);
  });
});
