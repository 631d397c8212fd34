import { randomUUID } from 'node:crypto';
import { makeEvent } from '../../../../kernel/events';
import { startChatServices, type ChatServices } from '../../../../test/support/chat';
import { ProjectionsService } from './projections.service';

/** The copies every sign-up brings (a chatter, then a room for its channel), against a real PostgreSQL. */
describe(ProjectionsService.name, () => {
  let chat: ChatServices;

  beforeAll(async () => {
    chat = await startChatServices();
  });

  afterAll(() => chat?.close());

  const now = () => new Date().toISOString();

  it('should copy a chatter once, whatever the number of deliveries and groups', async () => {
    const userId = randomUUID();
    const created = makeEvent('user.account.created.v1', { userId, login: 'grace_h', displayName: 'Grace', createdAt: now() });

    expect(await chat.projections.chatterCreated(created, 'spec')).toBe('created');
    expect(await chat.projections.chatterCreated(created, 'spec')).toBe('duplicate');
    expect(await chat.projections.chatterCreated(created, 'another-group')).toBe('duplicate');

    expect(await chat.db.prisma.chatter.findMany({ where: { userId } })).toEqual([
      expect.objectContaining({ login: 'grace_h', displayName: 'Grace' }),
    ]);
  });

  it("should open a channel's room once, in the platform's default modes held when the channel is created", async () => {
    await chat.db.prisma.platformDefaults.update({
      where: { id: 1 },
      data: { slowModeSeconds: 30, followersOnlyMinutes: 10, subscriberOnly: true, emoteOnly: false, uniqueChat: true },
    });
    const channelId = randomUUID();
    const ownerId = randomUUID();
    const created = makeEvent('chnl.channel.created.v1', { channelId, ownerId, createdAt: now() });

    expect(await chat.projections.roomCreated(created, 'spec')).toBe('created');
    expect(await chat.projections.roomCreated(created, 'spec')).toBe('duplicate');
    expect(await chat.projections.roomCreated({ ...created, id: randomUUID() }, 'spec')).toBe('duplicate');

    expect(await chat.db.prisma.room.findMany({ where: { channelId } })).toEqual([
      expect.objectContaining({
        ownerId,
        slowModeSeconds: 30,
        followersOnlyMinutes: 10,
        subscriberOnly: true,
        emoteOnly: false,
        uniqueChat: true,
      }),
    ]);
  });
});
