import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, readFileSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { kafkaPrincipalOf, PROCESSES, type ProcessName, type ProcessRow } from '../../bin/processes';
import { devKafkaPassword } from '../../kernel/bus/credentials';
import { generatedKeysEnv } from '../../kernel/keys';
import { fromRoot } from '../../kernel/paths';
import { childEnv } from '../support/child-env';
import { freePort } from './services';

const ENTRY = fromRoot('dist', 'bin', 'platform.js');

/**
 * The registry's processes, each alone in a child process (`node dist/bin/platform.js <name>`) as in production,
 * on free loopback ports, with the egress guard preloaded; their output goes to `<dir>/<name>.log`.
 */
/** The Mux webhook secret live-store-svc takes: the realtime case signs go-lives with it, as the simulator does. */
export const MUX_WEBHOOK_SECRET = randomBytes(24).toString('base64url');

/** A process of the registry, or another instance of one (`rt-gtw#2`) with a port of its own. */
export type Instance = ProcessName | `${ProcessName}#${number}`;

const processOf = (instance: Instance) => instance.split('#')[0] as ProcessName;

export class Processes {
  private readonly children = new Map<Instance, ChildProcess>();
  private readonly logs = new Map<Instance, WriteStream>();
  /** Children this harness signalled: their exit is the fault, not a crash. */
  private readonly signalled = new WeakSet<ChildProcess>();
  private crashes: { name: Instance; how: string }[] = [];

  private constructor(
    private readonly env: Record<string, string>,
    private readonly ports: Record<Instance, number>,
    private readonly dir: string,
  ) {}

  static async create(dir: string, services: { databaseUrl: string; brokers: string; redisUrl: string }): Promise<Processes> {
    if (!existsSync(ENTRY)) throw new Error(`${ENTRY} is missing: run \`npm run build\` first`);
    const env: Record<string, string> = {
      HOME: process.env.HOME ?? '',
      DATABASE_URL: services.databaseUrl,
      KAFKA_BROKERS: services.brokers,
      REDIS_URL: services.redisUrl,
      ...generatedKeysEnv(),
      OAUTH_ROUTER_CLIENT_SECRET: randomBytes(32).toString('base64url'),
      OAUTH_COOKIE_KEYS: randomBytes(32).toString('base64url'),
      LIVE_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      LOG_LEVEL: process.env.CHAOS_LOG_LEVEL ?? 'warn',
      // Thousands of sign-ups, the battery's sign-ins and the realtime case's hundreds of anonymous viewers all come
      // from 127.0.0.1; a wrong password still locks its account (the Redis case counts on it).
      SIGNUP_ADDRESS_PER_HOUR: '1000000',
      LOGIN_IP_ATTEMPTS_PER_MINUTE: '10000',
      RT_MAX_ANONYMOUS_SOCKETS_PER_ADDRESS: '100000',
      MAIL_DIR: path.join(dir, 'mail'),
      LIVE_MUX_WEBHOOK_SECRET: MUX_WEBHOOK_SECRET,
    };
    const ports = {} as Record<Instance, number>;
    for (const [name, row] of Object.entries(PROCESSES) as [ProcessName, ProcessRow][]) {
      ports[name] = await freePort();
      env[row.port] = String(ports[name]);
      if (row.serves) env[row.serves.env] = `http://127.0.0.1:${ports[name]}${row.serves.path}`;
    }
    return new Processes(env, ports, dir);
  }

  url(name: Instance): string {
    return `http://127.0.0.1:${this.ports[name]}`;
  }

  /** Another instance of a process, on a free port of its own: start it with start(). */
  async another(name: ProcessName): Promise<Instance> {
    const instance: Instance = `${name}#${Object.keys(this.ports).filter((i) => processOf(i as Instance) === name).length + 1}`;
    this.ports[instance] = await freePort();
    return instance;
  }

  /** Starts the process and waits until its `/readyz` answers 200. */
  async start(name: Instance, timeoutMs = 90_000): Promise<void> {
    if (this.running(name)) throw new Error(`${name} is running already`);
    let log = this.logs.get(name);
    if (!log) {
      log = createWriteStream(path.join(this.dir, `${name}.log`), { flags: 'a' });
      this.logs.set(name, log);
    }
    // Each as its own Kafka principal, as in production: the broker's ACLs let it write its domain's topics only.
    const principal = kafkaPrincipalOf(processOf(name));
    const env = {
      ...this.env,
      [PROCESSES[processOf(name)].port]: String(this.ports[name]),
      KAFKA_SASL_USERNAME: principal,
      KAFKA_SASL_PASSWORD: devKafkaPassword(principal),
    };
    const child = fork(ENTRY, [processOf(name)], { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    let started = false;
    // Exiting before it is ready is a failed start, which the caller hears of; after, a crash.
    child.once('exit', (code, signal) => {
      if (started && !this.signalled.has(child)) this.crashes.push({ name, how: signal ?? `code ${code}` });
    });
    this.children.set(name, child);
    await this.waitReady(name, timeoutMs);
    started = true;
  }

  /** What the process has logged so far, one JSON line per entry. */
  logText(name: Instance): string {
    const file = path.join(this.dir, `${name}.log`);
    return existsSync(file) ? readFileSync(file, 'utf8') : '';
  }

  async ready(name: Instance): Promise<boolean> {
    return fetch(`${this.url(name)}/readyz`, { signal: AbortSignal.timeout(5_000) }).then(
      (reply) => reply.ok,
      () => false,
    );
  }

  async waitReady(name: Instance, timeoutMs = 90_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await this.ready(name))) {
      if (!this.running(name)) throw new Error(`${name} exited (see ${this.dir}/${name}.log)`);
      if (Date.now() > deadline) throw new Error(`${name} not ready after ${timeoutMs} ms (see ${this.dir}/${name}.log)`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  private running(name: Instance): boolean {
    const child = this.children.get(name);
    return !!child && child.exitCode === null && child.signalCode === null;
  }

  /** SIGKILL: no shutdown, no commit, whatever was in hand is lost mid-way. */
  async kill(name: Instance): Promise<void> {
    const child = this.children.get(name);
    if (!child || !this.running(name)) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    this.signalled.add(child);
    child.kill('SIGKILL');
    await exited;
  }

  /** The processes that exited on their own since the last call, each started again. */
  async restartCrashed(): Promise<string[]> {
    const crashes = this.crashes;
    this.crashes = [];
    for (const { name } of crashes) if (!this.running(name)) await this.start(name);
    return crashes.map(({ name, how }) => `${name} exited on its own (${how}, see ${this.dir}/${name}.log)`);
  }

  /** SIGTERM, in the registry's stop order. */
  async stopAll(): Promise<void> {
    const order = (Object.keys(PROCESSES) as ProcessName[]).reverse();
    const names = [...this.children.keys()].sort((x, y) => order.indexOf(processOf(x)) - order.indexOf(processOf(y)));
    for (const name of names) {
      const child = this.children.get(name);
      if (!child || !this.running(name)) continue;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      this.signalled.add(child);
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    }
    for (const log of this.logs.values()) log.end();
  }
}
