import { PrismaPg } from '@prisma/adapter-pg';
import type { Pool } from 'pg';
import { createDomainPool } from '../../../../kernel/db/client';
import type { Logger } from '../../../../kernel/log';
import { PrismaClient } from './prisma/client';

/** The user domain's PostgreSQL schema; no other domain reads or writes it. */
export const USER_SCHEMA = 'user';

export interface UserDb {
  pool: Pool;
  prisma: PrismaClient;
  close(): Promise<void>;
}

export function connectUserDb(databaseUrl: string, max = 10, logger?: Logger): UserDb {
  const pool = createDomainPool(databaseUrl, USER_SCHEMA, max, logger);
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool, { schema: USER_SCHEMA }) });
  return {
    pool,
    prisma,
    close: async () => {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}

export type { User } from './prisma/client';
