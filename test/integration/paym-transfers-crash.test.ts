import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { builtPlatformEntry } from '../support/build';
import { childEnv } from '../support/child-env';
import { createScratchDatabase } from '../support/database';
import { eventually } from '../support/eventually';
import { startFakeStripe } from '../support/fake-stripe';
import { testKafkaEnv } from '../support/kafka';

/**
 * paym-transfers-wkr killed (SIGKILL) after Stripe made the transfer and before the worker could commit it, then
 * started again: the streamer is paid once. The kill lands in that window for sure: the fake Stripe makes the
 * transfer and keeps its answer back until the worker is dead.
 */
describe('paym-transfers-wkr killed between the Stripe call and its commit', () => {
  let database: Awaited<ReturnType<typeof createScratchDatabase>>;
  let db: Pool;
  let stripe: Awaited<ReturnType<typeof startFakeStripe>>;
  const children = new Set<ChildProcess>();

  beforeAll(async () => {
    database = await createScratchDatabase();
    db = new Pool({ connectionString: database.url, max: 2 });
    stripe = await startFakeStripe();
  });

  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await db?.end();
    await database?.drop();
    await stripe?.stop();
  });

  const startWorker = () => {
    const child = spawn(process.execPath, [builtPlatformEntry(), 'paym-transfers-wkr'], {
      env: childEnv({
        DATABASE_URL: database.url,
        ...testKafkaEnv(),
        PAYM_TRANSFERS_HEALTH_PORT: '0',
        PAYM_STRIPE_API_KEY: 'sk_test_transfers',
        PAYM_STRIPE_BASE_URL: stripe.url,
        PAYM_TRANSFERS_INTERVAL_SECONDS: '0.5',
        PAYM_PAYOUT_MINIMUM: '1000',
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let output = '';
    child.stdout?.on('data', (chunk) => (output += chunk));
    child.stderr?.on('data', (chunk) => (output += chunk));
    child.on('exit', () => children.delete(child));
    return { child, output: () => output };
  };

  const rows = async (sql: string, params: unknown[] = []) => (await db.query(sql, params)).rows;

  it('should pay the streamer once', async () => {
    const channelId = randomUUID();
    const transactionId = randomUUID();
    const paymentId = randomUUID();
    for (const [account, amount] of [
      ['store:stripe', -5000],
      ['platform', 2500],
      [`channel:${channelId}`, 2500],
    ] as const) {
      await db.query(
        "INSERT INTO paym.ledger_entry (id, transaction_id, account, amount, currency, kind, payment_id) VALUES ($1, $2, $3, $4, 'usd', 'payment', $5)",
        [randomUUID(), transactionId, account, amount, paymentId],
      );
    }
    await db.query("INSERT INTO paym.payout_account (channel_id, stripe_account_id, updated_at) VALUES ($1, 'acct_crash', now())", [
      channelId,
    ]);

    stripe.control.holdTransfers = true;
    const first = startWorker();
    await eventually(
      () => stripe.transfers.length === 1,
      30_000,
      () => `no transfer was made:\n${first.output()}`,
    );
    const exited = new Promise((resolve) => first.child.once('exit', resolve));
    first.child.kill('SIGKILL');
    await exited;
    const [pending] = await rows('SELECT id, state, stripe_transfer_id FROM paym.payout WHERE channel_id = $1', [channelId]);
    expect(pending).toMatchObject({ state: 'pending', stripe_transfer_id: null });

    stripe.control.holdTransfers = false;
    const second = startWorker();
    await eventually(
      async () => (await rows("SELECT 1 FROM paym.payout WHERE channel_id = $1 AND state = 'paid'", [channelId])).length === 1,
      30_000,
      () => `the restarted worker did not settle the payout:\n${second.output()}`,
    );
    second.child.kill('SIGTERM');

    const key = `payout:${pending.id}`;
    expect(stripe.transfers.map((t) => t.idempotencyKey)).toEqual([key]);
    expect(stripe.transferCalls.get(key)).toBe(2);
    expect(await rows('SELECT state, stripe_transfer_id, amount FROM paym.payout WHERE channel_id = $1', [channelId])).toEqual([
      { state: 'paid', stripe_transfer_id: stripe.transfers[0].id, amount: 2500 },
    ]);
    expect(
      await rows('SELECT coalesce(sum(amount), 0)::int AS n FROM paym.ledger_entry WHERE account = $1', [`channel:${channelId}`]),
    ).toEqual([{ n: 0 }]);
    expect(await rows('SELECT transaction_id FROM paym.ledger_entry GROUP BY transaction_id, currency HAVING sum(amount) <> 0')).toEqual(
      [],
    );
  }, 120_000);
});
