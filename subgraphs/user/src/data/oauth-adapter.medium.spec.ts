import { randomUUID } from 'node:crypto';
import { createScratchDatabase } from '../../../../test/support/database';
import { connectUserDb, type UserDb } from './db';
import { deleteExpiredOAuthRecords, deleteOAuthRecordsOfAccount, prismaAdapter } from './oauth-adapter';

class AlreadyConsumed extends Error {}

/** The authorization server's storage, against a real PostgreSQL. */
describe('prismaAdapter', () => {
  let db: UserDb;
  let drop: () => Promise<void>;
  let Adapter: ReturnType<typeof prismaAdapter>;

  beforeAll(async () => {
    const database = await createScratchDatabase();
    drop = database.drop;
    db = connectUserDb(database.url, 4);
    Adapter = prismaAdapter(
      db.prisma,
      async (clientId) => (clientId === 'known' ? { client_id: 'known' } : undefined),
      (kind) => new AlreadyConsumed(kind),
    );
  });

  afterAll(async () => {
    await db?.close();
    await drop?.();
  });

  it('stores, finds by id, uid and user code, and hides what expired', async () => {
    const codes = new Adapter('DeviceCode');
    await codes.upsert('d1', { grantId: 'g1', userCode: 'ABCD-EFGH', uid: 'u1', kind: 'DeviceCode' }, 60);
    await codes.upsert('d2', { grantId: 'g1', userCode: 'OLD', kind: 'DeviceCode' }, -1);
    expect(await codes.find('d1')).toMatchObject({ userCode: 'ABCD-EFGH' });
    expect(await codes.findByUid('u1')).toMatchObject({ grantId: 'g1' });
    expect(await codes.findByUserCode('ABCD-EFGH')).toMatchObject({ uid: 'u1' });
    expect(await codes.findByUserCode('OLD')).toBeUndefined();
    expect(await new Adapter('AccessToken').find('d1')).toBeUndefined();
  });

  it('spends a code once, even when two uses race, and revokes the grant on the second', async () => {
    const codes = new Adapter('AuthorizationCode');
    const tokens = new Adapter('AccessToken');
    const grantId = randomUUID();
    await codes.upsert('c1', { grantId, kind: 'AuthorizationCode' }, 60);
    await tokens.upsert('t1', { grantId, kind: 'AccessToken' }, 60);

    const results = await Promise.allSettled([codes.consume('c1'), codes.consume('c1')]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: expect.any(AlreadyConsumed) });
    expect(await codes.find('c1')).toBeUndefined();
    expect(await tokens.find('t1')).toBeUndefined();
  });

  it('marks a consumed record so the library recognises a replay', async () => {
    const refresh = new Adapter('RefreshToken');
    await refresh.upsert('r1', { grantId: randomUUID(), kind: 'RefreshToken' }, 60);
    await refresh.consume('r1');
    expect(await refresh.find('r1')).toMatchObject({ consumed: expect.any(Number) });
  });

  it('reads clients from the developer apps, not from the table', async () => {
    const clients = new Adapter('Client');
    expect(await clients.find('known')).toEqual({ client_id: 'known' });
    expect(await clients.find('unknown')).toBeUndefined();
  });

  it('sweeps what expired beyond the grace period, and nothing else', async () => {
    const sessions = new Adapter('Session');
    await sessions.upsert('gone', { kind: 'Session' }, -7200);
    await sessions.upsert('recent', { kind: 'Session' }, -60);
    await sessions.upsert('alive', { kind: 'Session' }, 3600);
    await deleteExpiredOAuthRecords(db.prisma, 3600);
    const left = await db.prisma.oAuthRecord.findMany({ where: { kind: 'Session' }, select: { id: true } });
    expect(left.map((r) => r.id).sort()).toEqual(['alive', 'recent']);
  });

  it('revokes everything held for one account, and only for it', async () => {
    const [someone, other] = [randomUUID(), randomUUID()];
    await new Adapter('Grant').upsert('g-someone', { accountId: someone, kind: 'Grant' }, 3600);
    await new Adapter('AccessToken').upsert('at-someone', { accountId: someone, grantId: 'g-someone', kind: 'AccessToken' }, 3600);
    await new Adapter('AccessToken').upsert('at-other', { accountId: other, kind: 'AccessToken' }, 3600);
    expect(await deleteOAuthRecordsOfAccount(db.prisma, someone)).toBe(2);
    expect(await new Adapter('AccessToken').find('at-someone')).toBeUndefined();
    expect(await new Adapter('AccessToken').find('at-other')).toMatchObject({ accountId: other });
  });
});
