import { Pool } from 'pg';
import { bootstrapFirstAdmin } from '../../subgraphs/user/src';
import { totpCode } from '../../subgraphs/user/src/services/totp';
import { eventually } from '../support/eventually';
import { createMemoryBus } from '../../kernel/bus/memory';
import { call, signUpAndLogIn, startTestPlatform, type TestPlatform } from '../support/platform';

/**
 * Account analysis end to end: a user whose chat messages the chat domain refuses again and again
 * (through the Private API) gets one case in the trust and safety queue (through the Admin API), from the chat
 * domain's windowed reports, not from one event per refused message.
 */
describe('account analysis through the REST facade', () => {
  let platform: TestPlatform;
  let db: Pool;
  let admin: string;
  let staffToken: string;

  beforeAll(async () => {
    platform = await startTestPlatform(createMemoryBus(), {
      CHAT_REFUSALS_WINDOW_SECONDS: '5',
      CHAT_REFUSALS_REPORT_AT: '1',
      PTFM_ANALYSIS_CHAT_REFUSALS_PER_HOUR: '8',
    });
    db = new Pool({ connectionString: platform.databaseUrl, max: 2 });
    admin = `${platform.facade.url}/admin/v1`;
    const boss = await signUpAndLogIn(platform.api, 'boss');
    const { totpSecret } = await bootstrapFirstAdmin(platform.databaseUrl, boss.login);
    const session = await call(`${admin}/sessions`, {
      method: 'POST',
      body: { login: boss.login, password: boss.password, totpCode: totpCode(totpSecret) },
    });
    expect(session.status).toBe(201);
    staffToken = session.body.accessToken;
  }, 180_000);

  afterAll(async () => {
    await db?.end();
    await platform?.stop();
  });

  it('opens one case for a user sending many refused chat messages, listed at GET /admin/v1/cases', async () => {
    const caster = await signUpAndLogIn(platform.api, 'caster');
    const channelId = await eventually(async () => (await call(`${platform.api}/me`, { token: caster.token })).body?.channel?.id as string);
    await eventually(async () => (await call(`${platform.api}/channels/${channelId}/chat/settings`)).status === 200);
    // An unverified account may not chat in another's room: every message is refused, and none is stored.
    const spammer = await signUpAndLogIn(platform.api, 'spammer', { verified: false });
    const sent = 12;
    for (let i = 0; i < sent; i++) {
      const answer = await call(`${platform.api}/channels/${channelId}/chat/messages`, {
        method: 'POST',
        token: spammer.token,
        body: { text: `buy followers ${i}` },
      });
      expect(answer.body.code).toBe('USER_EMAIL_NOT_VERIFIED');
    }

    const opened = await eventually(
      async () => {
        const listed = await call(`${admin}/cases?status=OPEN`, { token: staffToken });
        expect(listed.status).toBe(200);
        const mine = (listed.body as { subject: string; score: number }[]).filter((c) => c.subject === spammer.id);
        return mine[0]?.score === sent ? mine : undefined;
      },
      60_000,
      'a case for the spammer',
    );
    expect(opened).toEqual([
      expect.objectContaining({ kind: 'chat_refusals', subjectType: 'user', subject: spammer.id, score: sent, userIds: [spammer.id] }),
    ]);
    // The refusals reached the outbox as a few windowed reports, never one row per refused message.
    const reports = await db.query("SELECT payload FROM chat.outbox WHERE topic = 'chat.messages.refused.v1' AND key = $1", [spammer.id]);
    expect(reports.rowCount).toBeLessThan(sent);
    expect(reports.rows.reduce((sum, r) => sum + r.payload.data.count, 0)).toBe(sent);
    // The queue's statuses read and filter through GraphQL's enum.
    const assigned = await call(`${admin}/cases?status=ASSIGNED`, { token: staffToken });
    expect(assigned.status).toBe(200);
    expect(assigned.body).toEqual([]);
  }, 90_000);
});
