import { createMemoryBus } from '../../kernel/bus/memory';
import { egressAttempts } from '../support/egress-guard';
import { call, startTestPlatform } from '../support/platform';

/**
 * A self-hosted platform sends nothing anywhere its operator did not choose. With the guard of every test file on
 * (jest.config.js) and no telemetry setting at all, the platform starts its router, answers through it and stops,
 * and nothing tried to leave the machine: @apollo/gateway's usage export and its cloud metadata probes, which run
 * as the gateway is constructed unless Apollo's switch is set by then, stay off.
 */
describe('egress', () => {
  it('should start and use the router with the telemetry switch unset and attempt no connection outside loopback', async () => {
    delete process.env.APOLLO_TELEMETRY_DISABLED;
    delete process.env.GATEWAY_TELEMETRY;
    const before = egressAttempts().length;
    const platform = await startTestPlatform(createMemoryBus());
    try {
      expect(process.env.APOLLO_TELEMETRY_DISABLED).toBe('true');
      const answer = await call(`${platform.api}/users/nobody_is_called_this`);
      expect(answer.status).toBe(404);
    } finally {
      await platform.stop();
    }
    expect(egressAttempts().slice(before)).toEqual([]);
    // The whole platform starts in this process: about 10 s alone, several times that beside a loaded suite.
  }, 120_000);
});
