import { randomUUID } from 'node:crypto';
import { createMemoryBus } from '../../kernel/bus/memory';
import { signIdentity } from '../../kernel/identity';
import { makeEvent } from '../../kernel/events';
import { eventually } from '../support/eventually';
import { call, startTestPlatform, type TestPlatform } from '../support/platform';

/**
 * The entity contract, exercised the way the router uses it: `_entities` with many representations must be
 * answered with one query per subgraph, not one per entity.
 */
describe('federation entities', () => {
  let platform: TestPlatform;
  let identity: string;
  const owners = Array.from({ length: 50 }, () => randomUUID());

  beforeAll(async () => {
    platform = await startTestPlatform(createMemoryBus());
    for (const userId of owners) {
      const event = makeEvent('user.account.created.v1', { userId, login: `u${userId.slice(0, 8)}`, displayName: 'x', createdAt: new Date().toISOString() });
      await platform.chnl.channels.provision(event, 'federation-test');
    }
    identity = await signIdentity(platform.identitySecret, { kind: 'anonymous', scopes: [], permissions: [], requestId: 'entities-test' });
  }, 60_000);

  afterAll(async () => {
    await platform?.stop();
  });

  const entities = (url: string, query: string, representations: object[]) =>
    call(`${url}/graphql`, {
      method: 'POST',
      headers: { 'x-platform-identity': identity },
      body: { query: `query($r: [_Any!]!) { _entities(representations: $r) { ${query} } }`, variables: { r: representations } },
    });

  it('should resolve 50 users’ channels with one query', async () => {
    const byOwner = jest.spyOn(platform.chnl.channels, 'byOwnerIds');
    const res = await entities(platform.chnl.url, '... on User { id channel { id owner { id } } }', owners.map((id) => ({ __typename: 'User', id })));
    expect(res.status).toBe(200);
    expect(res.body.data._entities).toHaveLength(50);
    expect(res.body.data._entities.map((u: { channel: { owner: { id: string } } }) => u.channel.owner.id)).toEqual(owners);
    expect(byOwner).toHaveBeenCalledTimes(1);
    byOwner.mockRestore();
  });

  it('should resolve 50 channels by id with one query, and null for unknown ids', async () => {
    const channelIds = (await platform.chnl.channels.byOwnerIds(owners)).map((c) => c!.id);
    const byIds = jest.spyOn(platform.chnl.channels, 'byIds');
    const res = await entities(platform.chnl.url, '... on Channel { id title }', [...channelIds, randomUUID(), 'not-a-uuid'].map((id) => ({ __typename: 'Channel', id })));
    expect(res.status).toBe(200);
    expect(res.body.data._entities.slice(0, 50).map((c: { id: string }) => c.id)).toEqual(channelIds);
    expect(res.body.data._entities.slice(50)).toEqual([null, null]);
    expect(byIds).toHaveBeenCalledTimes(1);
    byIds.mockRestore();
  });

  it('should resolve 50 channels’ chat rooms in the chat subgraph with one query', async () => {
    const channelIds = (await platform.chnl.channels.byOwnerIds(owners)).map((c) => c!.id);
    await eventually(async () => (await platform.chat.rooms.byIds(channelIds)).every(Boolean));
    const byIds = jest.spyOn(platform.chat.rooms, 'byIds');
    const res = await entities(platform.chat.url, '... on Channel { id chatroom { channelId settings { emoteOnly } } }', channelIds.map((id) => ({ __typename: 'Channel', id })));
    expect(res.status).toBe(200);
    expect(res.body.data._entities.map((c: { chatroom: { channelId: string } }) => c.chatroom.channelId)).toEqual(channelIds);
    expect(byIds).toHaveBeenCalledTimes(1);
    byIds.mockRestore();
  });

  it('should resolve many users in the user subgraph with one query', async () => {
    const byIds = jest.spyOn(platform.user.accounts, 'byIds');
    const res = await entities(platform.user.url, '... on User { id login }', owners.map((id) => ({ __typename: 'User', id })));
    expect(res.status).toBe(200);
    expect(res.body.data._entities).toEqual(owners.map(() => null));
    expect(byIds).toHaveBeenCalledTimes(1);
    byIds.mockRestore();
  });
});
