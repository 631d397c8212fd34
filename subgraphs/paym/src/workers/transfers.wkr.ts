import type { Consumer } from '../../../../kernel/bus/consumer';
import type { Logger } from '../../../../kernel/log';
import type { TransfersService } from '../services/transfers.service';
import { createPeriodicRunner } from './periodic';

/** paym-transfers-wkr: every `intervalSeconds`, pays the balances due and settles the payouts left pending. */
export function createTransfersWorker(transfers: TransfersService, intervalSeconds: number, logger: Logger): Consumer {
  return createPeriodicRunner(
    'transfers round',
    async () => {
      const done = await transfers.run();
      if (done.reserved || done.paid || done.failed) logger.info(done, 'payouts');
      return done.paid + done.failed;
    },
    intervalSeconds,
    logger,
  );
}
