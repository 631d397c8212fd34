import { join } from 'node:path';
import { toolKafkaCredentials } from '../kernel/bus/credentials';
/** What every benchmark of this folder waits and counts with. */
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves when `url` answers 2xx (a process's `/readyz`); throws after `timeoutMs`. */
export async function waitForReady(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (
    !(await fetch(url).then(
      (r) => r.ok,
      () => false,
    ))
  ) {
    if (Date.now() > deadline) throw new Error(`${url} not ready after ${timeoutMs} ms`);
    await sleep(200);
  }
}

/** The p-th percentile of sorted samples (nearest rank); NaN when there is none. */
export const percentile = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : Number.NaN;

/** The benchmarks' processes authenticate to the broker as the benchmark does (the project's broker's admin by default). */
export const benchKafkaEnv = () => {
  const { username, password } = toolKafkaCredentials();
  return { KAFKA_SASL_USERNAME: username, KAFKA_SASL_PASSWORD: password };
};

/** `BENCH_PROFILE=edge-gtw,chat-store-svc` writes those processes' CPU profiles to .data/profiles/ as they exit. */
export const profileArgv = (name: string): string[] =>
  process.env.BENCH_PROFILE?.split(',').includes(name) ? ['--cpu-prof', `--cpu-prof-dir=${join(process.cwd(), '.data', 'profiles')}`] : [];
