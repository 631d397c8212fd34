import { PrismaPg } from '@prisma/adapter-pg';
import { Pool } from 'pg';
import { PrismaClient } from './prisma/client';

/** The user domain's PostgreSQL schema; no other domain reads or writes it. */
export const USER_SCHEMA = 'user';

export interface UserDb {
  pool: Pool;
  prisma: PrismaClient;
  close(): Promise<void>;
}

export function connectUserDb(databaseUrl: string, max = 10): UserDb {
  const pool = new Pool({ connectionString: databaseUrl, max });
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
