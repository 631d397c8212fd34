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
});
