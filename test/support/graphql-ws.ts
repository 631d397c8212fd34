import WebSocket from 'ws';

export interface Frame {
  type: string;
  id?: string;
  payload?: any;
}

/**
 * A graphql-transport-ws client that does only what the test tells it to, frame by frame, so a test can break the
 * protocol on purpose and see every frame and the close code the server answers with.
 */
export class RawGraphQLWsClient {
  readonly frames: Frame[] = [];
  closed?: { code: number; reason: string };
  private waiters: (() => void)[] = [];

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      this.frames.push(JSON.parse(String(data)) as Frame);
      this.notify();
    });
    socket.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.notify();
    });
    socket.on('error', () => undefined);
  }

  /** `protocol` null: the client offers none; `headers` go with the upgrade request (a proxy's X-Forwarded-For). */
  static async open(
    url: string,
    protocol: string | null = 'graphql-transport-ws',
    headers: Record<string, string> = {},
  ): Promise<RawGraphQLWsClient> {
    const socket = protocol === null ? new WebSocket(url, { headers }) : new WebSocket(url, protocol, { headers });
    const client = new RawGraphQLWsClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return client;
  }

  /** Opens, sends connection_init with `payload` and waits for the ack. */
  static async connect(url: string, payload?: Record<string, unknown>): Promise<RawGraphQLWsClient> {
    const client = await RawGraphQLWsClient.open(url);
    client.send({ type: 'connection_init', ...(payload ? { payload } : {}) });
    await client.waitFor((f) => f.type === 'connection_ack');
    return client;
  }

  send(frame: Record<string, unknown> | string): void {
    this.socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Subscribes to a persisted operation by its id; the text is left empty, as persisted clients send it. */
  subscribe(id: string, operationId: string, variables: Record<string, unknown>, query = ''): void {
    this.send({
      id,
      type: 'subscribe',
      payload: { query, variables, extensions: { persistedQuery: { version: 1, sha256Hash: operationId } } },
    });
  }

  /** The frames of one subscription id. */
  of(id: string): Frame[] {
    return this.frames.filter((f) => f.id === id);
  }

  async waitFor(predicate: (frame: Frame) => boolean, timeoutMs = 15_000): Promise<Frame> {
    return this.until(() => this.frames.find(predicate), timeoutMs, 'frame');
  }

  /** Waits until `count` frames of subscription `id` have arrived. */
  async waitForFrames(id: string, count: number, timeoutMs = 15_000): Promise<Frame[]> {
    return this.until(() => (this.of(id).length >= count ? this.of(id) : undefined), timeoutMs, `${count} frames of ${id}`);
  }

  async waitForClose(timeoutMs = 15_000): Promise<{ code: number; reason: string }> {
    return this.until(() => this.closed, timeoutMs, 'close');
  }

  close(): void {
    this.socket.terminate();
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  private async until<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = probe();
      if (value !== undefined) return value;
      if (this.closed && what !== 'close') throw new Error(`closed (${this.closed.code} ${this.closed.reason}) while waiting for ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${what} within ${timeoutMs} ms; frames: ${JSON.stringify(this.frames).slice(0, 500)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}
