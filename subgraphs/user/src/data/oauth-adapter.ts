import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { Prisma, PrismaClient } from './prisma/client';

/** Where the authorization server finds a developer app (the `Client` model is read from the app's row). */
export type ClientLookup = (clientId: string) => Promise<AdapterPayload | undefined>;

/**
 * oidc-provider's storage on the user schema: every model (codes, tokens, grants, sessions, interactions, device
 * codes) is a row keyed by (kind, id) with the library's payload, plus the columns its look-ups need. Expired
 * rows are invisible; a consumed code or token keeps its row so a replay is recognised (and revokes the grant).
 */
export function prismaAdapter(
  prisma: PrismaClient,
  clients: ClientLookup,
  /** The error a second use of a single-use code or token raises (the library's invalid_grant). */
  alreadyConsumed: (kind: string) => Error,
): new (
  kind: string,
) => Adapter {
  return class PrismaAdapter implements Adapter {
    constructor(private readonly kind: string) {}

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      const columns = {
        payload: payload as Prisma.InputJsonValue,
        grantId: payload.grantId ?? null,
        userCode: payload.userCode ?? null,
        uid: payload.uid ?? null,
        expiresAt: expiresIn ? new Date(Date.now() + expiresIn * 1000) : null,
      };
      await prisma.oAuthRecord.upsert({
        where: { kind_id: { kind: this.kind, id } },
        create: { kind: this.kind, id, ...columns },
        update: columns,
      });
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      if (this.kind === 'Client') return clients(id);
      return this.first({ id });
    }

    findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return this.first({ userCode });
    }

    findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return this.first({ uid });
    }

    /**
     * Spends a code or refresh token once, even when two requests race with it: the loser is a replay like any
     * other, so the grant dies with it.
     */
    async consume(id: string): Promise<void> {
      const spent = await prisma.oAuthRecord.updateMany({
        where: { kind: this.kind, id, consumedAt: null },
        data: { consumedAt: new Date() },
      });
      if (spent.count === 1) return;
      const row = await prisma.oAuthRecord.findUnique({ where: { kind_id: { kind: this.kind, id } } });
      if (row?.grantId) await this.revokeByGrantId(row.grantId);
      throw alreadyConsumed(this.kind);
    }

    async destroy(id: string): Promise<void> {
      await prisma.oAuthRecord.deleteMany({ where: { kind: this.kind, id } });
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await prisma.oAuthRecord.deleteMany({ where: { grantId } });
    }

    private async first(where: { id?: string; userCode?: string; uid?: string }): Promise<AdapterPayload | undefined> {
      const row = await prisma.oAuthRecord.findFirst({ where: { kind: this.kind, ...where } });
      if (!row || (row.expiresAt && row.expiresAt.getTime() <= Date.now())) return undefined;
      const payload = row.payload as AdapterPayload;
      return row.consumedAt ? { ...payload, consumed: Math.floor(row.consumedAt.getTime() / 1000) } : payload;
    }
  };
}

/**
 * Removes what expired more than `graceSeconds` ago. Consumed codes and refresh tokens are kept until then so a
 * late replay is still recognised as one.
 */
export async function deleteExpiredOAuthRecords(prisma: PrismaClient, graceSeconds: number): Promise<number> {
  const { count } = await prisma.oAuthRecord.deleteMany({ where: { expiresAt: { lt: new Date(Date.now() - graceSeconds * 1000) } } });
  return count;
}

/**
 * Revokes everything the authorization server holds for a user: grants, codes, access and refresh tokens,
 * sessions. For a user who must lose every app's access at once (an account suspended or deleted).
 */
export async function deleteOAuthRecordsOfAccount(prisma: Prisma.TransactionClient, accountId: string): Promise<number> {
  const { count } = await prisma.oAuthRecord.deleteMany({ where: { payload: { path: ['accountId'], equals: accountId } } });
  return count;
}
