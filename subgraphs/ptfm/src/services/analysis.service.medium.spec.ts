import { randomUUID } from 'node:crypto';
import { DomainError } from '../../../../kernel/errors';
import { makeEvent } from '../../../../kernel/events';
import { identities } from '../../../../test/support/identities';
import { startPtfmDb } from '../../../../test/support/ptfm';
import { AnalysisService } from './analysis.service';
import { CasesService } from './cases.service';
import { ThrowawayDomains } from './throwaway-domains';

const GROUP = 'ptfm-analysis-wkr.test';

/** Account analysis against a real PostgreSQL, fed the events it consumes, and the queue of cases it fills. */
describe(AnalysisService.name, () => {
  let ptfm: Awaited<ReturnType<typeof startPtfmDb>>;
  let analysis: AnalysisService;
  let cases: CasesService;
  const staff = () => identities.staff(randomUUID(), ['cases:manage']);
  const signUp = (address: string | undefined, second: number, emailDomain?: string) =>
    makeEvent('user.account.created.v1', {
      userId: randomUUID(),
      login: `u${randomUUID().slice(0, 8)}`,
      displayName: 'someone',
      createdAt: new Date(Date.UTC(2026, 10, 27, 12, 0, second)).toISOString(),
      ...(address ? { signupAddress: address } : {}),
      ...(emailDomain ? { emailDomain } : {}),
    });
  const refused = (userId: string, minute: number, count: number) =>
    makeEvent('chat.messages.refused.v1', {
      userId,
      windowStart: new Date(Date.UTC(2026, 10, 27, 14, minute)).toISOString(),
      windowEnd: new Date(Date.UTC(2026, 10, 27, 14, minute + 1)).toISOString(),
      count,
      reasons: { RATE_LIMITED: count },
    });
  const casesOf = (subject: string) => ptfm.db.prisma.trustCase.findMany({ where: { subject } });

  beforeAll(async () => {
    ptfm = await startPtfmDb();
    analysis = new AnalysisService(
      ptfm.db.prisma,
      { signupsPerHour: 10, followsPerMinute: 5, throwawaySignupsPerHour: 3, chatRefusalsPerHour: 100 },
      new ThrowawayDomains(['burner.example']),
    );
    cases = new CasesService(ptfm.db.prisma, 15 * 60);
  });

  afterAll(() => ptfm?.close());

  it('opens one case for 20 sign-ups from one /24 within a minute, and a replayed event counts once', async () => {
    const events = Array.from({ length: 20 }, (_, i) => signUp(`198.51.100.${i + 1}`, i * 2));
    // Four lanes at once, as the worker's partitions would deliver them.
    const lanes = [0, 1, 2, 3].map(async (lane) => {
      const outcomes = [];
      for (const e of events.filter((_, i) => i % 4 === lane)) outcomes.push(await analysis.accountCreated(e, GROUP));
      return outcomes;
    });
    const outcomes = (await Promise.all(lanes)).flat();
    expect(outcomes.filter((o) => o === 'opened')).toHaveLength(1);
    expect(await analysis.accountCreated(events[3], GROUP)).toBe('duplicate');

    const opened = await casesOf('198.51.100.0/24');
    expect(opened).toHaveLength(1);
    expect(opened[0]).toMatchObject({ kind: 'signup_burst', subjectType: 'address', status: 'open', signalCount: 20 });
    expect(opened[0].userIds).toHaveLength(20);
    expect(opened[0].score).toBe(20);
  });

  it('counts IPv6 per /64, ignores sign-ups without an address, and stays below the threshold', async () => {
    for (let i = 0; i < 9; i++) expect(await analysis.accountCreated(signUp(`2001:db8:0:7::${i + 1}`, i), GROUP)).toBe('counted');
    expect(await analysis.accountCreated(signUp(undefined, 10), GROUP)).toBe('skipped');
    expect(await analysis.accountCreated(signUp('2001:db8:0:8::1', 11), GROUP)).toBe('counted');
    expect(await casesOf('2001:db8:0:7::/64')).toHaveLength(0);
  });

  it('opens a channel case on a follow burst; staff assign and resolve it, audited, and a resolved case stays closed', async () => {
    const channelId = randomUUID();
    const follow = (second: number) =>
      makeEvent('chnl.follow.created.v1', {
        channelId,
        ownerId: randomUUID(),
        userId: randomUUID(),
        followedAt: new Date(Date.UTC(2026, 10, 27, 13, 0, second)).toISOString(),
      });
    for (let i = 0; i < 6; i++) await analysis.followCreated(follow(i), GROUP);
    const [opened] = await casesOf(channelId);
    expect(opened).toMatchObject({ kind: 'follow_burst', subjectType: 'channel', status: 'open' });

    const member = staff();
    const listed = await cases.list(member, 'open', 100);
    expect(listed.map((c) => c.id)).toContain(opened.id);
    expect(await cases.assign(member, opened.id, null, 'looking')).toMatchObject({ status: 'assigned', assigneeId: member.userId });
    expect(await cases.resolve(member, opened.id, 'suspended', 'bots')).toMatchObject({ status: 'resolved', resolution: 'suspended' });
    await expect(cases.resolve(member, opened.id, 'again')).rejects.toMatchObject({ extensions: { code: 'PTFM_CASE_RESOLVED' } });
    const audit = await ptfm.db.prisma.auditRecord.findMany({ where: { targetId: opened.id }, orderBy: { at: 'asc' } });
    expect(audit.map((a) => a.action)).toEqual(['case.assign', 'case.resolve']);

    await expect(cases.list(identities.staff(randomUUID(), []), null, 10)).rejects.toBeInstanceOf(DomainError);
  });
  it("tells throwaway email domains from the shipped list, its subdomains and the operators' own, and no others", () => {
    const domains = new ThrowawayDomains(['burner.example']);
    expect(domains.size).toBeGreaterThan(1000);
    for (const throwaway of ['mailinator.com', 'inbox.mailinator.com', 'MAILINATOR.COM', 'burner.example'])
      expect(domains.has(throwaway)).toBe(true);
    for (const real of ['gmail.com', 'example.test', 'com', 'outlook.com', 'mailinator.com.example.org', undefined])
      expect(domains.has(real)).toBe(false);
  });

  it('scores each throwaway sign-up on its account and opens one case for three from one /24, beside the sign-up count', async () => {
    const events = [0, 1, 2, 3].map((i) => signUp(`192.0.2.${i + 10}`, 30 + i, i === 1 ? 'gmail.com' : 'mailinator.com'));
    const outcomes = [];
    for (const e of events) outcomes.push(await analysis.accountCreated(e, GROUP));
    expect(outcomes).toEqual(['counted', 'counted', 'counted', 'opened']);
    const signals = await ptfm.db.prisma.analysisSignal.findMany({ where: { subject: '192.0.2.0/24', kind: 'throwaway_email' } });
    expect(signals.map((s) => s.userId).sort()).toEqual([events[0], events[2], events[3]].map((e) => e.data.userId).sort());
    const [opened] = await casesOf('192.0.2.0/24');
    expect(opened).toMatchObject({ kind: 'throwaway_email', subjectType: 'address', status: 'open', score: 3 });
    expect(opened.userIds.sort()).toEqual(signals.map((s) => s.userId).sort());
    // The four sign-ups also counted as sign-ups of the block, below that threshold.
    expect(await ptfm.db.prisma.analysisSignal.count({ where: { subject: '192.0.2.0/24', kind: 'signup_burst' } })).toBe(4);
  });

  it('counts a throwaway sign-up without an address on its domain', async () => {
    for (let i = 0; i < 2; i++) expect(await analysis.accountCreated(signUp(undefined, i, 'burner.example'), GROUP)).toBe('counted');
    expect(await analysis.accountCreated(signUp(undefined, 2, 'burner.example'), GROUP)).toBe('opened');
    expect(await casesOf('burner.example')).toEqual([expect.objectContaining({ kind: 'throwaway_email', subjectType: 'email_domain' })]);
    expect(await analysis.accountCreated(signUp(undefined, 3, 'gmail.com'), GROUP)).toBe('skipped');
  });

  it("adds up the refused chat messages a user's windows report over an hour, once per event, and opens one case past the threshold", async () => {
    const userId = randomUUID();
    const first = refused(userId, 0, 40);
    expect(await analysis.chatMessagesRefused(first, GROUP)).toBe('counted');
    expect(await analysis.chatMessagesRefused(first, GROUP)).toBe('duplicate');
    expect(await analysis.chatMessagesRefused(refused(userId, 1, 59), GROUP)).toBe('counted');
    expect(await analysis.chatMessagesRefused(refused(userId, 2, 1), GROUP)).toBe('opened');
    expect(await analysis.chatMessagesRefused(refused(userId, 3, 30), GROUP)).toBe('updated');
    const cases = await casesOf(userId);
    expect(cases).toHaveLength(1);
    expect(cases[0]).toMatchObject({ kind: 'chat_refusals', subjectType: 'user', score: 130, signalCount: 130, userIds: [userId] });
    // Another user's refusals, an hour apart, never reach it.
    const other = randomUUID();
    expect(await analysis.chatMessagesRefused(refused(other, 0, 99), GROUP)).toBe('counted');
    expect(await analysis.chatMessagesRefused(refused(other, 62, 99), GROUP)).toBe('counted');
    expect(await casesOf(other)).toHaveLength(0);
  });
});
