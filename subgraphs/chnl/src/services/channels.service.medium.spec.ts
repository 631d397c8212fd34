import { randomUUID } from 'node:crypto';
import { makeEvent } from '../../../../kernel/events';
import { createScratchDatabase } from '../../../../test/support/database';
import { identities } from '../../../../test/support/identities';
import { connectChnlDb, type ChnlDb } from '../data/db';
import { ChannelsService } from './channels.service';

const caller = (userId?: string) => (userId ? identities.session(userId) : identities.anonymous());

/** Against a real PostgreSQL: the service is the only writer of the chnl schema. */
describe(ChannelsService.name, () => {
  let db: ChnlDb;
  let drop: () => Promise<void>;
  let service: ChannelsService;

  beforeAll(async () => {
    const database = await createScratchDatabase();
    drop = database.drop;
    db = connectChnlDb(database.url, 4);
    service = new ChannelsService(db.prisma);
  });

  afterAll(async () => {
    await db?.close();
    await drop?.();
  });

  const newChannel = async () => {
    const ownerId = randomUUID();
    const event = makeEvent('user.account.created.v1', {
      userId: ownerId,
      login: 'someone',
      displayName: 'Someone',
      createdAt: new Date().toISOString(),
    });
    expect(await service.provision(event, 'spec')).toBe('created');
    expect(await service.provision(event, 'spec')).toBe('duplicate');
    const [channel] = await service.byOwnerIds([ownerId]);
    return channel!;
  };

  const outboxTopics = async (key: string) =>
    (await db.prisma.outboxEvent.findMany({ where: { key }, orderBy: { createdAt: 'asc' } })).map((e) => e.topic);

  it('should provision one channel per account and record its event with the stored instant, once per event and owner', async () => {
    const ownerId = randomUUID();
    const signUp = () =>
      makeEvent('user.account.created.v1', { userId: ownerId, login: 'ada_l', displayName: 'Ada', createdAt: new Date().toISOString() });
    const first = signUp();

    expect(await service.provision(first, 'spec')).toBe('created');
    expect(await service.provision(first, 'spec')).toBe('duplicate');
    expect(await service.provision(signUp(), 'spec')).toBe('duplicate');
    expect(await service.provision(first, 'another-group')).toBe('duplicate');

    const [channel] = await service.byOwnerIds([ownerId]);
    expect(channel).toMatchObject({ ownerId, title: "Ada's stream", category: '' });
    const events = await db.prisma.outboxEvent.findMany({ where: { key: channel!.id } });
    expect(events.map((e) => [e.topic, e.payload])).toEqual([
      [
        'chnl.channel.created.v1',
        expect.objectContaining({
          data: { channelId: channel!.id, ownerId, title: "Ada's stream", category: '', createdAt: channel!.createdAt.toISOString() },
        }),
      ],
    ]);
    expect(await db.prisma.processedEvent.count({ where: { eventId: first.id } })).toBe(2);
  });

  it('should page through followers who followed in the same millisecond without skipping or repeating', async () => {
    const channel = await newChannel();
    const at = new Date();
    const followers = Array.from({ length: 7 }, () => randomUUID());
    await db.prisma.follow.createMany({ data: followers.map((userId) => ({ channelId: channel.id, userId, createdAt: at })) });
    await db.prisma.channel.update({ where: { id: channel.id }, data: { followerCount: followers.length } });
    const fresh = (await service.byIds([channel.id]))[0]!;

    const seen: string[] = [];
    let after: string | null = null;
    do {
      const page: Awaited<ReturnType<ChannelsService['followers']>> = await service.followers(fresh, caller(), 3, after);
      seen.push(...page.nodes.map((f) => f.userId));
      expect(page.totalCount).toBe(7);
      after = page.pageInfo.endCursor;
    } while (after);
    expect(seen.sort()).toEqual([...followers].sort());
  });

  it('should refuse a forged cursor with the field named', async () => {
    const channel = await newChannel();
    await expect(service.followers(channel, caller(), 10, 'bm90LWEtY3Vyc29y')).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      fields: [{ field: 'after' }],
    });
  });

  it('should count a follow once and write one event per real change', async () => {
    const channel = await newChannel();
    const fan = randomUUID();
    await service.follow(channel.id, fan);
    expect((await service.follow(channel.id, fan)).followerCount).toBe(1);
    expect((await service.unfollow(channel.id, fan)).followerCount).toBe(0);
    expect((await service.unfollow(channel.id, fan)).followerCount).toBe(0);
    expect(await outboxTopics(channel.id)).toEqual(['chnl.channel.created.v1', 'chnl.follow.created.v1', 'chnl.follow.deleted.v1']);
  });

  it('should let only the owner update, and refuse invalid fields without writing', async () => {
    const channel = await newChannel();
    await expect(service.update(channel.id, caller(randomUUID()), { title: 'x' })).rejects.toMatchObject({ code: 'CHNL_NOT_OWNER' });
    await expect(service.update(channel.id, caller(), { title: 'x' })).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(
      service.update(channel.id, caller(channel.ownerId), { language: 'english', tags: Array(11).fill('t') }),
    ).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      fields: [{ field: 'language' }, { field: 'tags' }],
    });
    const updated = await service.update(channel.id, caller(channel.ownerId), { title: 'New title', mature: true });
    expect(updated).toMatchObject({ title: 'New title', mature: true });
    expect(await outboxTopics(channel.id)).toEqual(['chnl.channel.created.v1', 'chnl.channel.updated.v1']);
  });

  it('should refuse to follow a missing channel or one’s own', async () => {
    const channel = await newChannel();
    await expect(service.follow(randomUUID(), randomUUID())).rejects.toMatchObject({ code: 'CHNL_NOT_FOUND' });
    await expect(service.follow('nope', randomUUID())).rejects.toMatchObject({ code: 'CHNL_NOT_FOUND' });
    await expect(service.follow(channel.id, channel.ownerId)).rejects.toMatchObject({ code: 'CHNL_SELF_FOLLOW' });
  });

  it('should let only the broadcaster grant and revoke roles, each change emitted once', async () => {
    const channel = await newChannel();
    const owner = identities.session(channel.ownerId);
    const userId = randomUUID();
    await expect(service.grantRole(identities.session(userId), channel.id, userId, 'moderator')).rejects.toMatchObject({
      code: 'CHNL_NOT_OWNER',
    });
    await expect(service.grantRole(owner, channel.id, channel.ownerId, 'moderator')).rejects.toMatchObject({ code: 'CHNL_SELF_ROLE' });
    await expect(
      service.grantRole(identities.oauth(channel.ownerId, ['channel:manage:vips']), channel.id, userId, 'moderator'),
    ).rejects.toMatchObject({ code: 'INSUFFICIENT_SCOPE' });

    await service.grantRole(owner, channel.id, userId, 'moderator');
    await service.grantRole(owner, channel.id, userId, 'moderator');
    await service.grantRole(owner, channel.id, userId, 'vip');
    expect((await service.members(channel.id, 'moderator')).map((m) => m.userId)).toEqual([userId]);
    await service.revokeRole(owner, channel.id, userId, 'moderator');
    await service.revokeRole(owner, channel.id, userId, 'moderator');
    expect(await service.members(channel.id, 'moderator')).toEqual([]);
    expect((await service.members(channel.id, 'vip')).map((m) => m.userId)).toEqual([userId]);
    expect(await outboxTopics(channel.id)).toEqual([
      'chnl.channel.created.v1',
      'chnl.moderator.added.v1',
      'chnl.vip.added.v1',
      'chnl.moderator.removed.v1',
    ]);
  });

  it('should let an app change a channel or read its followers only with the scope and for the broadcaster', async () => {
    const channel = await newChannel();
    const app = (userId: string | undefined, scopes: string[]) => identities.oauth(userId, scopes, 'app');
    await expect(service.update(channel.id, app(channel.ownerId, ['channel:read:followers']), { title: 'x' })).rejects.toMatchObject({
      code: 'INSUFFICIENT_SCOPE',
      fields: [{ field: 'scope', message: 'channel:manage:broadcast' }],
    });
    await expect(service.update(channel.id, app(undefined, ['channel:manage:broadcast']), { title: 'x' })).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
    });
    await expect(service.update(channel.id, app(randomUUID(), ['channel:manage:broadcast']), { title: 'x' })).rejects.toMatchObject({
      code: 'CHNL_NOT_OWNER',
    });
    expect(await service.update(channel.id, app(channel.ownerId, ['channel:manage:broadcast']), { title: 'By app' })).toMatchObject({
      title: 'By app',
    });

    await expect(service.followers(channel, app(channel.ownerId, ['user:read:email']), 5, null)).rejects.toMatchObject({
      code: 'INSUFFICIENT_SCOPE',
    });
    await expect(service.followers(channel, app(randomUUID(), ['channel:read:followers']), 5, null)).rejects.toMatchObject({
      code: 'CHNL_NOT_OWNER',
    });
    await expect(service.followers(channel, app(undefined, ['channel:read:followers']), 5, null)).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
    });
    expect((await service.followers(channel, app(channel.ownerId, ['channel:read:followers']), 5, null)).totalCount).toBe(0);
  });

  describe('categories', () => {
    const categoryEvent = (
      topic: 'ptfm.category.created.v1' | 'ptfm.category.updated.v1',
      categoryId: string,
      name: string,
      changedAt: Date,
    ) =>
      makeEvent(topic, {
        categoryId,
        name,
        slug: `c-${categoryId.slice(0, 8)}`,
        boxArtUrl: 'https://images.example/box.jpg',
        changedAt: changedAt.toISOString(),
      });
    const updatesOf = (channelId: string) =>
      db.pool
        .query<{ payload: { data: { changes: Record<string, unknown> } } }>(
          `SELECT payload FROM outbox WHERE topic = 'chnl.channel.updated.v1' AND key = $1 ORDER BY created_at`,
          [channelId],
        )
        .then((r) => r.rows.map((row) => row.payload.data.changes));

    it('should move channels over by name, follow renames, and ignore redeliveries and older writes', async () => {
      const name = `Game ${randomUUID().slice(0, 8)}`;
      const channel = await newChannel();
      const other = await newChannel();
      await service.update(channel.id, identities.session(channel.ownerId), { category: name.toUpperCase() });
      expect((await service.byIds([channel.id]))[0]).toMatchObject({ category: name.toUpperCase(), categoryId: null });

      const categoryId = randomUUID();
      const created = categoryEvent('ptfm.category.created.v1', categoryId, name, new Date(Date.now() - 1000));
      expect(await service.categoryChanged(created, 'spec')).toEqual({ linked: 1, renamed: 0 });
      expect(await service.categoryChanged(created, 'spec')).toBe('duplicate');
      expect((await service.byIds([channel.id]))[0]).toMatchObject({ category: name.toUpperCase(), categoryId });

      const renamed = categoryEvent('ptfm.category.updated.v1', categoryId, `${name} II`, new Date());
      expect(await service.categoryChanged(renamed, 'spec')).toEqual({ linked: 0, renamed: 1 });
      const late = categoryEvent('ptfm.category.updated.v1', categoryId, `${name} (old)`, new Date(Date.now() - 500));
      expect(await service.categoryChanged(late, 'spec')).toBe('stale');
      expect((await service.byIds([channel.id, other.id])).map((c) => [c?.category, c?.categoryId])).toEqual([
        [`${name} II`, categoryId],
        ['', null],
      ]);
    });

    it('should put a channel in a category by id, taking its name, and refuse an unknown one', async () => {
      const categoryId = randomUUID();
      const name = `Topic ${randomUUID().slice(0, 8)}`;
      await service.categoryChanged(categoryEvent('ptfm.category.created.v1', categoryId, name, new Date()), 'spec');
      const channel = await newChannel();
      const owner = identities.session(channel.ownerId);

      expect(await service.update(channel.id, owner, { categoryId })).toMatchObject({ category: name, categoryId });
      await service.update(channel.id, owner, { category: 'Something else' });
      expect((await service.byIds([channel.id]))[0]).toMatchObject({ category: 'Something else', categoryId: null });
      expect(await updatesOf(channel.id)).toEqual([
        { category: name, categoryId },
        { category: 'Something else', categoryId: null },
      ]);

      for (const unknown of [randomUUID(), 'not-a-uuid'])
        await expect(service.update(channel.id, owner, { categoryId: unknown })).rejects.toMatchObject({ code: 'CHNL_CATEGORY_NOT_FOUND' });
      expect(await updatesOf(channel.id)).toHaveLength(2);
    });
  });
});
