import { egressAttempts, installEgressGuard } from './egress-guard';

const before = egressAttempts().length;

/**
 * Jest runs this in every test file's environment before the file: the guard is on for the whole suite, and a
 * file during which anything tried to leave the machine fails, naming what and from where, even when the code that
 * tried swallowed the error.
 */
installEgressGuard((attempt) =>
  process.stderr.write(`\nEGRESS REFUSED ${attempt.via} ${attempt.host}:${attempt.port ?? ''}\n${attempt.stack}\n`),
);

// Processes the tests start inherit the guard through NODE_OPTIONS (see test/support/child-env.ts).
afterAll(() => {
  const attempts = egressAttempts().slice(before);
  if (attempts.length > 0) {
    throw new Error(
      `connections outside loopback were attempted:\n${attempts.map((a) => `  ${a.via} ${a.host}:${a.port ?? ''}\n${a.stack}`).join('\n')}`,
    );
  }
});
