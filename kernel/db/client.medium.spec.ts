import { Client } from 'pg';
import { createScratchDatabase } from '../../test/support/database';
import { createDomainPool } from './client';

/** A connection the server drops while it is checked out fails its holder's next query, not the process. */
describe('a domain pool losing a connection', () => {
  it('should not emit an unhandled error when a checked-out connection is terminated', async () => {
    const database = await createScratchDatabase();
    const pool = createDomainPool(database.url, 'public', 2);
    const admin = new Client({ connectionString: database.url });
    try {
      await admin.connect();
      const held = await pool.connect();
      const { rows } = await held.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      // Waits for the server end to go, without listening on the client: that listener is what is under test.
      await admin.query('SELECT pg_terminate_backend($1)', [rows[0].pid]);
      for (let gone = false; !gone; ) {
        const { rowCount } = await admin.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [rows[0].pid]);
        gone = rowCount === 0;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
      await expect(held.query('SELECT 1')).rejects.toThrow();
      held.release(true);
      await expect(pool.query('SELECT 1 AS one')).resolves.toMatchObject({ rows: [{ one: 1 }] });
    } finally {
      await admin.end();
      await pool.end();
      await database.drop();
    }
  });
});
