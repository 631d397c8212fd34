import type { Pool } from 'pg';
import { deleteInBatches } from '../../../../kernel/runner';

/**
 * What chat keeps bounded: timeouts past their end (readers already ignore them; lifting a ban deletes its row, a
 * timeout that runs out deletes nothing) and messages past the history's retention.
 */
export class RetentionService {
  constructor(
    private readonly pool: Pool,
    private readonly historyRetentionDays: number,
  ) {}

  async prune(now: Date): Promise<{ expiredBans: number; messages: number }> {
    const expiredBans = await deleteInBatches(this.pool, 'ban', 'expires_at < $1', [now]);
    const before = new Date(now.getTime() - this.historyRetentionDays * 86_400_000);
    const messages = await deleteInBatches(this.pool, 'message', 'sent_at < $1', [before]);
    return { expiredBans, messages };
  }
}
