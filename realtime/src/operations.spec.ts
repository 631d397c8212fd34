import { randomUUID } from 'node:crypto';
import { readManifest } from '../../kernel/persisted';
import { PersistedSubscriptions, REALTIME_API } from './operations';
import { buildRealtimeSchema } from './schema';

const manifest = readManifest(REALTIME_API).operations;
const persisted = new PersistedSubscriptions(buildRealtimeSchema());
const chatMessages = manifest.find((op) => op.name === 'ChatMessages')!;
const byHash = (sha256Hash: string, variables: Record<string, unknown>, query = '') =>
  persisted.resolve({ query, variables, extensions: { persistedQuery: { version: 1, sha256Hash } } });
const codes = (result: ReturnType<typeof byHash>) => ('channelId' in result ? [] : result.map((e) => e.extensions.code));

describe('PersistedSubscriptions', () => {
  it('should resolve a persisted subscription to its room and a key shared by the same selection', () => {
    const channelId = randomUUID();
    const first = byHash(chatMessages.id, { channelId });
    const second = byHash(chatMessages.id, { channelId }, chatMessages.body);
    expect(first).toMatchObject({ channelId, operation: { name: 'ChatMessages', field: 'chatMessages' } });
    expect('selectionKey' in first && 'selectionKey' in second && first.selectionKey === second.selectionKey).toBe(true);
    const other = byHash(chatMessages.id, { channelId: randomUUID() });
    expect('selectionKey' in other && 'selectionKey' in first && other.selectionKey !== first.selectionKey).toBe(true);
  });

  it('should refuse what is not persisted, a text that differs, and bad variables', () => {
    const channelId = randomUUID();
    expect(codes(persisted.resolve({ query: chatMessages.body, variables: { channelId } }))).toEqual(['OPERATION_NOT_PERSISTED']);
    expect(codes(byHash('0'.repeat(64), { channelId }))).toEqual(['OPERATION_NOT_PERSISTED']);
    expect(codes(byHash(chatMessages.id, { channelId }, `${chatMessages.body} `))).toEqual(['OPERATION_NOT_PERSISTED']);
    expect(codes(byHash(chatMessages.id, {}))).toEqual(['VALIDATION_FAILED']);
    expect(codes(byHash(chatMessages.id, { channelId: 'lobby' }))).toEqual(['VALIDATION_FAILED']);
  });

  it('should refuse to start with an operation that is not a valid subscription', () => {
    const schema = buildRealtimeSchema();
    const query = { id: 'q', name: 'Q', type: 'query' as const, body: 'query Q { realtime }' };
    const invalid = { id: 'i', name: 'I', type: 'subscription' as const, body: 'subscription I { nothing }' };
    expect(() => new PersistedSubscriptions(schema, [query])).toThrow(/only subscriptions/);
    expect(() => new PersistedSubscriptions(schema, [invalid])).toThrow(/nothing/);
  });
});
