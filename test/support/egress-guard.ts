import dns from 'node:dns';
import net from 'node:net';

/**
 * Nothing the tests run may reach past this machine: a dependency that starts phoning home or probing a cloud
 * metadata address (169.254.169.254) must fail the suite, not wait for production to find out. The guard refuses
 * before any packet leaves: a TCP connect to an address that is not loopback, and any name lookup other than
 * localhost (a lookup itself would tell a resolver where we meant to go).
 */

/** Loopback only: 127.0.0.0/8, ::1, their IPv4-mapped form, `localhost`, and Unix sockets (no host at all). */
export function isAdmittedHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  // A fully qualified name ends with a dot (`localhost.`); it names the same host.
  const lower = bare.toLowerCase().replace(/\.$/, '');
  if (lower === 'localhost' || lower.endsWith('.localhost')) return true;
  switch (net.isIP(lower)) {
    case 4:
      return lower.split('.')[0] === '127';
    case 6: {
      if (lower === '::1' || lower === '0:0:0:0:0:0:0:1') return true;
      const mapped = /^(?:0:0:0:0:0|:):ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
      return mapped !== null && isAdmittedHost(mapped[1]);
    }
    default:
      return false;
  }
}

export interface EgressAttempt {
  host: string;
  port?: number | string;
  via: 'connect' | 'lookup';
  stack?: string;
}

/**
 * The guard's state lives on the `net` module, the one thing every jest test file of a worker shares with the
 * others (each file has globals and a module registry of its own): the patch goes in once per process.
 */
const GUARD = Symbol.for('platform.egressGuard');
interface GuardState {
  attempts: EgressAttempt[];
  onRefusal: (attempt: EgressAttempt) => void;
}
type GuardedNet = typeof net & { [GUARD]?: GuardState };

/** Every refused attempt since the guard was installed in this process. */
export function egressAttempts(): readonly EgressAttempt[] {
  return (net as GuardedNet)[GUARD]?.attempts ?? [];
}

export class EgressRefused extends Error {
  readonly code = 'EGRESS_REFUSED';
  constructor(attempt: EgressAttempt) {
    super(
      `egress guard: refused ${attempt.via} to ${attempt.host}${attempt.port === undefined ? '' : `:${attempt.port}`} (only loopback is allowed)`,
    );
  }
}

/** The host a `Socket#connect` call targets, or undefined for a Unix socket path. */
function connectTarget(args: unknown[]): { host: string; port?: number | string } | undefined {
  let first = args[0];
  // net.connect() hands over its normalised [options, callback] pair.
  if (Array.isArray(first)) first = first[0];
  if (first !== null && typeof first === 'object') {
    const options = first as { path?: string; host?: string; port?: number | string };
    if (options.path !== undefined) return undefined;
    return { host: options.host ?? 'localhost', port: options.port };
  }
  if (typeof first === 'string' && !/^\d+$/.test(first)) return undefined;
  return { host: typeof args[1] === 'string' ? args[1] : 'localhost', port: first as number | string };
}

/**
 * Installs the guard once per process. `onRefusal` lets each host of the guard make the refusal loud its own way
 * (a failed jest file, a line on a child process's stderr); the refused call throws either way.
 */
export function installEgressGuard(onRefusal: (attempt: EgressAttempt) => void = () => undefined): void {
  const guarded = net as GuardedNet;
  const installed = guarded[GUARD];
  if (installed) {
    installed.onRefusal = onRefusal;
    return;
  }
  const state: GuardState = { attempts: [], onRefusal };
  guarded[GUARD] = state;
  const refuse = (attempt: EgressAttempt): never => {
    attempt.stack = new Error().stack;
    state.attempts.push(attempt);
    state.onRefusal(attempt);
    throw new EgressRefused(attempt);
  };

  const connect = net.Socket.prototype.connect as (...args: unknown[]) => net.Socket;
  net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: unknown[]) {
    const target = connectTarget(args);
    if (target && !isAdmittedHost(target.host)) refuse({ ...target, via: 'connect' });
    return connect.apply(this, args);
  } as typeof net.Socket.prototype.connect;

  const lookup = dns.lookup as (...args: unknown[]) => unknown;
  dns.lookup = function guardedLookup(hostname: unknown, ...rest: unknown[]) {
    if (typeof hostname === 'string' && !isAdmittedHost(hostname)) refuse({ host: hostname, via: 'lookup' });
    return lookup.call(dns, hostname, ...rest);
  } as typeof dns.lookup;

  const lookupPromise = dns.promises.lookup as (...args: unknown[]) => Promise<unknown>;
  dns.promises.lookup = async function guardedLookupPromise(hostname: unknown, ...rest: unknown[]) {
    if (typeof hostname === 'string' && !isAdmittedHost(hostname)) refuse({ host: hostname, via: 'lookup' });
    return lookupPromise.call(dns.promises, hostname, ...rest);
  } as typeof dns.promises.lookup;
}
