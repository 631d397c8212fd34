import { z } from 'zod';
import { databaseUrl, parseConfig } from '../kernel/config';
import { bootstrapFirstAdmin } from '../subgraphs/user/src';
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
    const enrolment = await bootstrapFirstAdmin(DATABASE_URL, arg);
    console.log(`${enrolment.login} is now admin. TOTP secret (shown once): ${enrolment.totpSecret}\n${enrolment.totpUri}`);
    return 0;
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
