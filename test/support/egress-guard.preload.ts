import { installEgressGuard } from './egress-guard';

/**
 * Loaded with `node --require` into every process the tests start (test/support/child-env.ts): a refused attempt
 * is written to stderr, which the tests read, and the call that made it throws.
 */
installEgressGuard((attempt) =>
  process.stderr.write(`EGRESS REFUSED ${attempt.via} ${attempt.host}:${attempt.port ?? ''}\n${attempt.stack}\n`),
);
