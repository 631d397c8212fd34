import { z } from 'zod';

/**
 * Usage reports to vendors are the operator's choice, never a default. `@apollo/gateway` 2.x exports metrics to
 * Apollo (usage-reporting.api.apollographql.com) and, to describe the host, runs OpenTelemetry's cloud resource
 * detectors, which probe the link-local metadata address 169.254.169.254 and wait on its timeout at start, unless
 * its own switch `APOLLO_TELEMETRY_DISABLED` is set when the gateway is constructed. `GATEWAY_TELEMETRY=on` is the
 * only way to let it.
 */
export const gatewayTelemetry = z.enum(['off', 'on']).default('off');

export type GatewayTelemetry = z.infer<typeof gatewayTelemetry>;

/** Sets Apollo's switch from ours; call it before constructing an `ApolloGateway`. */
export function applyGatewayTelemetry(setting: GatewayTelemetry): void {
  process.env.APOLLO_TELEMETRY_DISABLED = setting === 'on' ? 'false' : 'true';
}
