import { type RunnerDefinition, runnerProcess } from '../../../../kernel/runner';
import type { PaymRenewalsConfig } from '../config';
import { connectPaymDb, type PrismaClient } from '../data/db';
import { RenewalsService } from '../services/renewals.service';

/** paym-renewals-rnr: expires the entitlements no store renewed past their period end. */
const renewalsRunner = (config: PaymRenewalsConfig): RunnerDefinition<PrismaClient> => ({
  name: 'paym-renewals-rnr',
  connect: connectPaymDb,
  pass: async (db, now) => ({ expired: (await new RenewalsService(db.prisma, config.PAYM_EXPIRY_SLACK_SECONDS).sweep(now)) ?? 0 }),
});

export const paymRenewalsRnr = runnerProcess(renewalsRunner, (config: PaymRenewalsConfig) => ({
  port: config.PAYM_RENEWALS_HEALTH_PORT,
  intervalMs: config.PAYM_RENEWALS_INTERVAL_SECONDS * 1000,
}));
