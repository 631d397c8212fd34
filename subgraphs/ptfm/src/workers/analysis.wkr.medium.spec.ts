import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { deadLetterTopic } from '../../../../kernel/bus/consumer';
import { createMemoryBus } from '../../../../kernel/bus/memory';
import type { EventBus, IncomingMessage } from '../../../../kernel/bus/port';
import { type EventOf, makeEvent, type Topic } from '../../../../kernel/events';
import { eventually } from '../../../../test/support/eventually';
import { startPtfmDb } from '../../../../test/support/ptfm';
import { AnalysisService } from '../services/analysis.service';
import { ThrowawayDomains } from '../services/throwaway-domains';
import { ANALYSIS_TOPICS, analysisGroup, createPtfmAnalysisWorker } from './analysis.wkr';

/**
 * ptfm-analysis-wkr on a bus: each consumed topic in a group of its own, an event delivered twice counted once, a
 * message breaking its contract dead-lettered, and cases opened from the user and chat events.
 */
describe('ptfm-analysis-wkr', () => {
  let ptfm: Awaited<ReturnType<typeof startPtfmDb>>;
  let bus: EventBus;
  let stop: () => Promise<void>;
  const dead: IncomingMessage[] = [];

  const publish = <T extends Topic>(topic: T, key: string, ...events: EventOf<T>[]) =>
    bus.publish(
      topic,
      events.map((e) => ({ key, value: JSON.stringify(e) })),
    );
  const casesOf = (subject: string) => ptfm.db.prisma.trustCase.findMany({ where: { subject } });

  beforeAll(async () => {
    ptfm = await startPtfmDb();
    bus = createMemoryBus();
    await bus.subscribe({
      groupId: 'dlt-reader',
      topics: [deadLetterTopic('chat.messages.refused.v1')],
      fromBeginning: true,
      handle: async (message) => void dead.push(message),
    });
    const analysis = new AnalysisService(
      ptfm.db.prisma,
      { signupsPerHour: 50, followsPerMinute: 50, throwawaySignupsPerHour: 2, chatRefusalsPerHour: 20 },
      new ThrowawayDomains(),
    );
    const worker = createPtfmAnalysisWorker(bus, analysis, pino({ level: 'silent' }));
    await worker.start();
    stop = () => worker.stop();
  });

  afterAll(async () => {
    await stop?.();
    await bus?.close();
    await ptfm?.close();
  });

  it('reads the user, chnl and chat topics, each in a group of its own', () => {
    expect(ANALYSIS_TOPICS).toEqual(['user.account.created.v1', 'chnl.follow.created.v1', 'chat.messages.refused.v1']);
    expect(new Set(ANALYSIS_TOPICS.map(analysisGroup)).size).toBe(ANALYSIS_TOPICS.length);
  });

  it('opens one case for a user whose refused chat messages pass the threshold, an event delivered twice counting once', async () => {
    const userId = randomUUID();
    const window = (minute: number, count: number) =>
      makeEvent('chat.messages.refused.v1', {
        userId,
        windowStart: new Date(Date.UTC(2026, 10, 28, 1, minute)).toISOString(),
        windowEnd: new Date(Date.UTC(2026, 10, 28, 1, minute + 1)).toISOString(),
        count,
        reasons: { CHAT_BANNED: count },
      });
    const first = window(0, 12);
    await publish('chat.messages.refused.v1', userId, first, first);
    await eventually(async () => (await ptfm.db.prisma.processedEvent.count({ where: { eventId: first.id } })) === 1);
    expect(await casesOf(userId)).toHaveLength(0);
    await publish('chat.messages.refused.v1', userId, window(1, 8), window(2, 3));
    const [opened] = await eventually(async () => {
      const cases = await casesOf(userId);
      return cases[0]?.score === 23 ? cases : undefined;
    });
    expect(opened).toMatchObject({ kind: 'chat_refusals', subjectType: 'user', status: 'open', userIds: [userId] });
    expect(await ptfm.db.prisma.analysisSignal.count({ where: { subject: userId } })).toBe(3);
  });

  it('opens a case for throwaway-email sign-ups from one network', async () => {
    const signUp = (second: number) =>
      makeEvent('user.account.created.v1', {
        userId: randomUUID(),
        login: `u${randomUUID().slice(0, 8)}`,
        displayName: 'someone',
        createdAt: new Date(Date.UTC(2026, 10, 28, 2, 0, second)).toISOString(),
        signupAddress: `2001:db8:77:1::${second + 1}`,
        emailDomain: 'mailinator.com',
      });
    const events = [signUp(0), signUp(1)];
    for (const e of events) await publish('user.account.created.v1', e.data.userId, e);
    const [opened] = await eventually(async () => {
      const cases = await casesOf('2001:db8:77:1::/64');
      return cases.length ? cases : undefined;
    });
    expect(opened).toMatchObject({ kind: 'throwaway_email', subjectType: 'address', score: 2 });
    expect([...opened.userIds].sort()).toEqual(events.map((e) => e.data.userId).sort());
  });

  it('dead-letters a refusal report that breaks its contract', async () => {
    await bus.publish('chat.messages.refused.v1', [
      { key: 'x', value: JSON.stringify({ id: randomUUID(), type: 'chat.messages.refused.v1' }) },
    ]);
    await eventually(async () => dead.length === 1);
  });
});
