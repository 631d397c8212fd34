import { Client } from 'pg';
import { randomUUID } from 'node:crypto';
import { createMemoryBus } from '../../kernel/bus/memory';
import { signIdentity } from '../../kernel/identity';
import { makeEvent } from '../../kernel/events';
import { RoomsService } from '../../subgraphs/chat/src/services/rooms.service';
import { ChannelsService } from '../../subgraphs/chnl/src/services/channels.service';
import { AccountsService } from '../../subgraphs/user/src/services/accounts.service';
import { eventually } from '../support/eventually';
import { call, startTestPlatform, type TestPlatform } from '../support/platform';

/**
 * The entity contract, exercised the way the router uses it: `_entities` with many representations must be
 * answered with one query per subgraph, not one per entity.
 */
describe('federation entities', () => {
  let platform: TestPlatform;
  let channelIds: string[];
  const owners = Array.from({ length: 50 }, () => randomUUID());

  // The services run inside the platform's processes, which hand none out: their classes are spied on instead.
  beforeAll(async () => {
    const bus = createMemoryBus();
    platform = await startTestPlatform(bus);
    const created = owners.map((userId) =>
      makeEvent('user.account.created.v1', {
        userId,
        login: `u${userId.slice(0, 8)}`,
        displayName: 'x',
        createdAt: new Date().toISOString(),
      }),
    );
    await bus.publish(
      'user.account.created.v1',
      created.map((event) => ({ key: event.data.userId, value: JSON.stringify(event) })),
    );
    channelIds = await eventually(async () => {
      const res = await entities(
        'chnl',
        '... on User { channel { id } }',
        owners.map((id) => ({ __typename: 'User', id })),
      );
      const channels = (res.body.data?._entities ?? []) as { channel: { id: string } | null }[];
      return channels.length === owners.length && channels.every((u) => u.channel) && channels.map((u) => u.channel!.id);
    });
  }, 60_000);

  afterAll(async () => {
    await platform?.stop();
  });

  const entities = async (subgraph: 'user' | 'chnl' | 'chat' | 'live', query: string, representations: object[]) =>
    call(`${platform[subgraph].url}/graphql`, {
      method: 'POST',
      headers: {
        'x-platform-identity': await signIdentity(platform.keys.identity, { kind: 'anonymous', requestId: 'entities-test' }, subgraph),
      },
      body: { query: `query($r: [_Any!]!) { _entities(representations: $r) { ${query} } }`, variables: { r: representations } },
    });

  it('should resolve 50 users’ channels with one query', async () => {
    const byOwner = jest.spyOn(ChannelsService.prototype, 'byOwnerIds');
    const res = await entities(
      'chnl',
      '... on User { id channel { id owner { id } } }',
      owners.map((id) => ({ __typename: 'User', id })),
    );
    expect(res.status).toBe(200);
    expect(res.body.data._entities).toHaveLength(50);
    expect(res.body.data._entities.map((u: { channel: { owner: { id: string } } }) => u.channel.owner.id)).toEqual(owners);
    expect(byOwner).toHaveBeenCalledTimes(1);
    byOwner.mockRestore();
  });

  it('should resolve 50 channels by id with one query, and null for unknown ids', async () => {
    const byIds = jest.spyOn(ChannelsService.prototype, 'byIds');
    const res = await entities(
      'chnl',
      '... on Channel { id title }',
      [...channelIds, randomUUID(), 'not-a-uuid'].map((id) => ({ __typename: 'Channel', id })),
    );
    expect(res.status).toBe(200);
    expect(res.body.data._entities.slice(0, 50).map((c: { id: string }) => c.id)).toEqual(channelIds);
    expect(res.body.data._entities.slice(50)).toEqual([null, null]);
    expect(byIds).toHaveBeenCalledTimes(1);
    byIds.mockRestore();
  });

  it('should resolve 50 channels’ chat rooms in the chat subgraph with one query', async () => {
    await eventually(async () => {
      const res = await entities(
        'chat',
        '... on Channel { chatroom { channelId } }',
        channelIds.map((id) => ({ __typename: 'Channel', id })),
      );
      return (res.body.data?._entities ?? []).every((c: { chatroom: unknown } | null) => c?.chatroom);
    });
    const byIds = jest.spyOn(RoomsService.prototype, 'byIds');
    const res = await entities(
      'chat',
      '... on Channel { id chatroom { channelId settings { emoteOnly } } }',
      channelIds.map((id) => ({ __typename: 'Channel', id })),
    );
    expect(res.status).toBe(200);
    expect(res.body.data._entities.map((c: { chatroom: { channelId: string } }) => c.chatroom.channelId)).toEqual(channelIds);
    expect(byIds).toHaveBeenCalledTimes(1);
    byIds.mockRestore();
  });

  it('should send an instant (a @dateTime field) as the ISO 8601 string of the stored one', async () => {
    const channelId = channelIds[0];
    const db = new Client({ connectionString: platform.databaseUrl });
    await db.connect();
    const stored = async () => {
      const channel = await db.query<{ created_at: Date; updated_at: Date }>(
        'SELECT created_at, updated_at FROM chnl.channel WHERE id = $1',
        [channelId],
      );
      const room = await db.query<{ updated_at: Date }>('SELECT updated_at FROM chat.room WHERE channel_id = $1', [channelId]);
      return room.rows[0] && { channel: channel.rows[0], room: room.rows[0] };
    };
    try {
      const { channel, room } = await eventually(stored);
      const representation = [{ __typename: 'Channel', id: channelId }];
      const chnl = await entities('chnl', '... on Channel { createdAt updatedAt }', representation);
      const chat = await entities('chat', '... on Channel { chatroom { clearedAt settings { updatedAt } } }', representation);
      expect(chnl.body.data._entities).toEqual([
        { createdAt: channel.created_at.toISOString(), updatedAt: channel.updated_at.toISOString() },
      ]);
      expect(chat.body.data._entities).toEqual([{ chatroom: { clearedAt: null, settings: { updatedAt: room.updated_at.toISOString() } } }]);
    } finally {
      await db.end();
    }
  });

  it('should resolve many users in the user subgraph with one query', async () => {
    const byIds = jest.spyOn(AccountsService.prototype, 'byIds');
    const res = await entities(
      'user',
      '... on User { id login }',
      owners.map((id) => ({ __typename: 'User', id })),
    );
    expect(res.status).toBe(200);
    expect(res.body.data._entities).toEqual(owners.map(() => null));
    expect(byIds).toHaveBeenCalledTimes(1);
    byIds.mockRestore();
  });
});
