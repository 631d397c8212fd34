import type { Consumer } from '../../../../kernel/bus/consumer';
import type { Logger } from '../../../../kernel/log';
import type { RenewalsService } from '../services/renewals.service';
import { createPeriodicRunner } from './periodic';

/** paym-renewals-rnr: sweeps overdue entitlements every `intervalSeconds`. */
export function createRenewalsRunner(renewals: RenewalsService, intervalSeconds: number, logger: Logger): Consumer {
  return createPeriodicRunner(
    'renewals sweep',
    async () => {
      const expired = await renewals.sweep();
      if (expired) logger.info({ expired }, 'overdue subscriptions expired');
      return expired ?? 0;
    },
    intervalSeconds,
    logger,
  );
}
