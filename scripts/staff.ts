import { z } from 'zod';
import { databaseUrl, parseConfig } from '../kernel/config';
import { connectUserDb } from '../subgraphs/user/src/data/db';
import { bootstrapAdmin } from '../subgraphs/user/src/services/staff/roles.service';
import { totpCode } from '../subgraphs/user/src/services/totp';

/**
 * Staff chores from the command line of someone who runs the database:
 *   npm run staff -- bootstrap <login>   make an existing user the first admin; prints their TOTP secret once
 *   npm run staff -- code <secret>       the current TOTP code of a secret (a development machine without an app)
 */
async function main([command, arg]: string[]): Promise<number> {
  if (command === 'code' && arg) {
    console.log(totpCode(arg));
    return 0;
  }
  if (command === 'bootstrap' && arg) {
    const { DATABASE_URL } = parseConfig(z.object({ DATABASE_URL: databaseUrl }));
    const db = connectUserDb(DATABASE_URL, 1);
    try {
      const enrolment = await bootstrapAdmin(db.prisma, arg);
      console.log(`${enrolment.user.login} is now admin. TOTP secret (shown once): ${enrolment.totpSecret}\n${enrolment.totpUri}`);
      return 0;
    } finally {
      await db.close();
    }
  }
  console.error('usage: npm run staff -- bootstrap <login> | code <totp-secret>');
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
