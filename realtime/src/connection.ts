import type { ExecutionResult } from 'graphql-ws';
import type { WebSocket } from 'ws';
import { actsForUser } from '../../kernel/access';
import type { Identity } from '../../kernel/identity';
import type { Logger } from '../../kernel/log';
import type { Sink } from './rooms';
import { realtimeFrames } from '../../kernel/metrics';

/** Close code for a slow consumer: "try again later" (RFC 6455), which graphql-ws clients retry. */
export const SLOW_CONSUMER_CLOSE_CODE = 1013;
/** How long a dropped socket may take to complete its closing handshake before it is destroyed. */
const CLOSE_GRACE_MS = 1_000;

const DONE: IteratorResult<never, undefined> = { done: true, value: undefined };

/**
 * What graphql-ws iterates for one subscription. It yields nothing: the room writes this subscription's frames
 * straight to the socket. It ends when the client completes it (graphql-ws calls return()), when the socket
 * closes, or when the server ends it (end(): graphql-ws then sends `complete`).
 */
export class ParkedSubscription implements AsyncIterableIterator<ExecutionResult> {
  private wake?: (result: IteratorResult<never, undefined>) => void;
  private done = false;

  constructor(private readonly onEnd: () => void) {}

  get ended(): boolean {
    return this.done;
  }

  next(): Promise<IteratorResult<never, undefined>> {
    if (this.done) return Promise.resolve(DONE);
    return new Promise((resolve) => {
      this.wake = resolve;
    });
  }

  return(): Promise<IteratorResult<never, undefined>> {
    this.end();
    return Promise.resolve(DONE);
  }

  end(): void {
    if (this.done) return;
    this.done = true;
    this.onEnd();
    this.wake?.(DONE);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

/**
 * One client socket: its identity, its subscriptions, and the only way anything is written to it, which watches
 * the socket's unsent bytes. A client that reads slower than its rooms talk would make the server buffer without
 * bound; past `maxBufferedBytes` it is closed with 1013 and dropped from every room at once.
 */
export class Connection implements Sink {
  identity?: Identity;
  /** The client's address, behind the trusted proxies (kernel/http.ts clientAddress). */
  address?: string;
  readonly subscriptions = new Map<string, ParkedSubscription>();
  private dropped = false;

  constructor(
    private readonly socket: WebSocket,
    private readonly maxBufferedBytes: number,
    private readonly logger: Logger,
  ) {}

  get userId(): string | undefined {
    return this.identity && actsForUser(this.identity) ? this.identity.userId : undefined;
  }

  send(frame: string): void {
    if (this.dropped || this.socket.readyState !== this.socket.OPEN) return;
    this.socket.send(frame);
    realtimeFrames.inc();
    if (this.socket.bufferedAmount > this.maxBufferedBytes) this.drop();
  }

  /** Ends the connection when the token it opened with expires (4403, as for a refused one), unless it closes first. */
  expireAt(expiresAt: number, now: number): void {
    // setTimeout takes at most 2^31-1 ms (about 24.8 days); tokens here live minutes to hours.
    const timer = setTimeout(() => this.forbid('token expired'), Math.min(Math.max(0, expiresAt - now), 2 ** 31 - 1));
    timer.unref();
    this.socket.once('close', () => clearTimeout(timer));
  }

  /** Ends the connection of a user who may no longer be here (suspended): 4403, as for a refused token. */
  forbid(reason: string): void {
    this.endAll();
    this.socket.close(4403, reason);
  }

  /** Runs `fn` once the socket has closed: at once if it has already (it may close while its token is checked). */
  onceClosed(fn: () => void): void {
    if (this.socket.readyState === this.socket.CLOSED) fn();
    else this.socket.once('close', fn);
  }

  /** Refuses a connection beyond its user's or address's cap of sockets (1008, policy violation). */
  refuse(reason: string): void {
    this.socket.close(1008, reason);
  }

  /** Ends every subscription (leaving their rooms); graphql-ws's own close handling finds nothing left to do. */
  endAll(): void {
    for (const subscription of [...this.subscriptions.values()]) subscription.end();
  }

  private drop(): void {
    this.dropped = true;
    this.logger.warn(
      { bufferedBytes: this.socket.bufferedAmount, userId: this.userId, subscriptions: this.subscriptions.size },
      'slow consumer dropped',
    );
    this.endAll();
    this.socket.close(SLOW_CONSUMER_CLOSE_CODE, 'slow consumer: too many unsent bytes');
    setTimeout(() => this.socket.terminate(), CLOSE_GRACE_MS).unref();
  }
}
