import { isUuid } from '../../../../kernel/ids';
import type { Chatter, PrismaClient } from '../data/db';

/** What a message shows of its sender: the names the chatter projection holds. */
export type ChatterNames = Pick<Chatter, 'userId' | 'login' | 'displayName'>;

/** The read side of the chatter projection (user.account.created.v1, kept by ProjectionsService). */
export class ChattersService {
  constructor(private readonly prisma: PrismaClient) {}

  async byIds(ids: readonly string[]): Promise<(ChatterNames | null)[]> {
    const rows = await this.prisma.chatter.findMany({
      where: { userId: { in: [...new Set(ids.filter(isUuid))] } },
      select: { userId: true, login: true, displayName: true },
    });
    const byId = new Map(rows.map((c) => [c.userId, c]));
    return ids.map((id) => byId.get(id) ?? null);
  }
}
