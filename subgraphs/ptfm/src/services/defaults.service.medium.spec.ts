import { randomUUID } from 'node:crypto';
import type { Identity } from '../../../../kernel/identity';
import { identities } from '../../../../test/support/identities';
import { startPtfmDb } from '../../../../test/support/ptfm';
import { DefaultsService } from './defaults.service';

/** The platform's defaults against a real PostgreSQL: staff changes, each audited and published whole, once. */
describe(DefaultsService.name, () => {
  let ptfm: Awaited<ReturnType<typeof startPtfmDb>>;
  let defaults: DefaultsService;
  const manager = () => identities.staff(randomUUID(), ['settings:manage']);
  const published = () =>
    ptfm.db.pool
      .query<{ key: string; payload: { data: { version: number; chat: Record<string, unknown> } } }>(
        `SELECT key, payload FROM outbox WHERE topic = 'ptfm.defaults.updated.v1' ORDER BY created_at`,
      )
      .then((r) => r.rows);
  const audited = () =>
    ptfm.db.pool
      .query<{ actor_id: string; action: string; reason: string | null; details: { version: number; chat: object } }>(
        `SELECT actor_id, action, reason, details FROM audit_record WHERE action = 'defaults.updated' ORDER BY at`,
      )
      .then((r) => r.rows);

  beforeAll(async () => {
    ptfm = await startPtfmDb();
    defaults = new DefaultsService(ptfm.db.prisma, 900);
  });

  afterAll(() => ptfm?.close());

  it('should change only what is given, publish every default with a new version, and audit what changed', async () => {
    const staff = manager();
    expect(await defaults.get(staff)).toMatchObject({
      version: 0,
      chat: { slowModeSeconds: null, followersOnlyMinutes: null, subscriberOnly: false, emoteOnly: false, blockedTerms: [] },
    });
    const first = await defaults.update(
      staff,
      { chat: { slowModeSeconds: 30, blockedTerms: [' ｂａｄ  word ', 'bad word', 'spoiler'] } },
      'raids',
    );
    expect(first).toMatchObject({ version: 1, chat: { slowModeSeconds: 30, emoteOnly: false, blockedTerms: ['bad word', 'spoiler'] } });
    const second = await defaults.update(staff, { chat: { emoteOnly: true, slowModeSeconds: null } });
    expect(second.chat).toEqual({
      slowModeSeconds: null,
      followersOnlyMinutes: null,
      subscriberOnly: false,
      emoteOnly: true,
      uniqueChat: false,
      blockedTerms: ['bad word', 'spoiler'],
      viewerMessagesPer30s: null,
      moderatorMessagesPer30s: null,
    });
    // Nothing changes: nothing is published nor audited.
    expect(await defaults.update(staff, { chat: { emoteOnly: true } })).toMatchObject({ version: 2 });

    expect((await published()).map((e) => [e.key, e.payload.data.version, e.payload.data.chat])).toEqual([
      ['platform', 1, { ...first.chat }],
      ['platform', 2, { ...second.chat }],
    ]);
    expect(await audited()).toEqual([
      {
        actor_id: staff.userId,
        action: 'defaults.updated',
        reason: 'raids',
        details: {
          version: 1,
          chat: { slowModeSeconds: { from: null, to: 30 }, blockedTerms: { from: [], to: ['bad word', 'spoiler'] } },
        },
      },
      {
        actor_id: staff.userId,
        action: 'defaults.updated',
        reason: null,
        details: { version: 2, chat: { slowModeSeconds: { from: 30, to: null }, emoteOnly: { from: false, to: true } } },
      },
    ]);
  });

  it('should refuse invalid values all at once, and callers without the permission or a fresh second factor', async () => {
    await expect(
      defaults.update(manager(), { chat: { slowModeSeconds: 2, followersOnlyMinutes: 200_000, blockedTerms: ['x'] } }),
    ).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      fields: [
        { field: 'chat.slowModeSeconds', message: expect.any(String) },
        { field: 'chat.followersOnlyMinutes', message: expect.any(String) },
        { field: 'chat.blockedTerms', message: expect.any(String) },
      ],
    });
    const refusals: [Identity, string][] = [
      [identities.staff(randomUUID(), ['categories:manage']), 'FORBIDDEN'],
      [identities.staff(randomUUID(), ['settings:manage'], 901), 'STAFF_MFA_REQUIRED'],
      [identities.session(), 'FORBIDDEN'],
    ];
    for (const [caller, code] of refusals) {
      await expect(defaults.get(caller)).rejects.toMatchObject({ code });
      await expect(defaults.update(caller, { chat: { uniqueChat: true } })).rejects.toMatchObject({ code });
    }
    expect((await defaults.get(manager())).chat.uniqueChat).toBe(false);
  });

  it('should bound the message rates and login limits, publish them with the rest and audit their change', async () => {
    await expect(
      defaults.update(manager(), {
        chat: { viewerMessagesPer30s: 0, moderatorMessagesPer30s: 1001 },
        login: { accountFailures: 1, accountLockSeconds: 86_401, attemptsPerIpPerMinute: 2.5 },
      }),
    ).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      fields: [
        'chat.viewerMessagesPer30s',
        'chat.moderatorMessagesPer30s',
        'login.accountFailures',
        'login.accountLockSeconds',
        'login.attemptsPerIpPerMinute',
      ].map((field) => ({ field, message: expect.any(String) })),
    });
    const changed = await defaults.update(manager(), { chat: { viewerMessagesPer30s: 10 }, login: { accountFailures: 3 } });
    expect(changed).toMatchObject({
      chat: { viewerMessagesPer30s: 10, moderatorMessagesPer30s: null },
      login: { accountFailures: 3, accountLockSeconds: null, attemptsPerIpPerMinute: null },
    });
    const last = (await published()).at(-1)?.payload.data as { version: number; chat: object; login: object };
    expect(last).toMatchObject({ version: changed.version, chat: { viewerMessagesPer30s: 10 }, login: changed.login });
    expect((await audited()).at(-1)?.details).toEqual({
      version: changed.version,
      chat: { viewerMessagesPer30s: { from: null, to: 10 } },
      login: { accountFailures: { from: null, to: 3 } },
    });
  });
});
