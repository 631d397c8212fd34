import { generatedKeysEnv, generateSigningKey, publicKeys } from '../kernel/keys';

/**
 * Signing keys from the command line of whoever deploys the platform:
 *   npm run -s keys -- env                 fresh keys for every issuer and verifier, as shell exports
 *   npm run -s keys -- pair [kid]          one fresh Ed25519 key: its private JWK and a JWKS of its public half
 *   npm run -s keys -- publish <jwks>...   one JWKS of the keys of several (a rotation publishes old and new)
 */
function main([command, ...args]: string[]): number {
  if (command === 'env') {
    for (const [name, value] of Object.entries(generatedKeysEnv())) console.log(`export ${name}='${value}'`);
    return 0;
  }
  if (command === 'pair') {
    const pair = generateSigningKey(args[0]);
    console.log(`signing key (the issuer's only): ${pair.signingKey}\npublic keys (the verifiers'):   ${pair.publicKeys}`);
    return 0;
  }
  if (command === 'publish' && args.length) {
    for (const jwks of args) publicKeys('a JWKS').parse(jwks);
    console.log(JSON.stringify({ keys: args.flatMap((jwks) => (JSON.parse(jwks) as { keys: unknown[] }).keys) }));
    return 0;
  }
  console.error('usage: npm run -s keys -- env | pair [kid] | publish <jwks> [<jwks>...]');
  return 2;
}

process.exitCode = main(process.argv.slice(2));
