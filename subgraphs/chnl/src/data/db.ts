import { PrismaPg } from '@prisma/adapter-pg';
import type { Pool } from 'pg';
import { createDomainPool } from '../../../../kernel/db/client';
import type { Logger } from '../../../../kernel/log';
import { PrismaClient } from './prisma/client';

/** The channel domain's PostgreSQL schema; no other domain reads or writes it. */
export const CHNL_SCHEMA = 'chnl';

export interface ChnlDb {
  pool: Pool;
  prisma: PrismaClient;
  close(): Promise<void>;
}

export function connectChnlDb(databaseUrl: string, max = 10, logger?: Logger): ChnlDb {
  const pool = createDomainPool(databaseUrl, CHNL_SCHEMA, max, logger);
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool, { schema: CHNL_SCHEMA }) });
  return {
    pool,
    prisma,
    close: async () => {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}

export type { Channel, Follow } from './prisma/client';
