export interface ProbeSettings {
  /** Pause between the end of one round of probes and the start of the next. */
  intervalMs: number;
  /** How long one probe may take before it counts as failed. */
  timeoutMs: number;
  /** Consecutive failed probes before a target counts as down; one success counts it up again. */
  failureThreshold: number;
}

export interface BackgroundProbes {
  /** Every target's last verdict is up: answered from memory, no probe is made on the caller's time. */
  allUp(): boolean;
  /** The targets counted down now. */
  down(): string[];
  /** Runs one round now and waits for it (tests; the first round at start). */
  round(): Promise<void>;
  stop(): void;
}

/**
 * Probes each target in the background, as an orchestrator probes a container: a target counts as down only after
 * `failureThreshold` probes in a row failed, so one answer slowed past the timeout by a busy event loop under load
 * does not flap the caller's readiness, while a target that is gone turns it red within
 * `failureThreshold × (intervalMs + timeoutMs)`. A target never heard from yet counts as down.
 */
export function backgroundProbes(
  targets: Record<string, (signal: AbortSignal) => Promise<boolean>>,
  settings: ProbeSettings,
  onChange: (name: string, up: boolean) => void = () => undefined,
): BackgroundProbes {
  const failures = new Map<string, number>(Object.keys(targets).map((name) => [name, settings.failureThreshold]));
  const isUp = (name: string) => (failures.get(name) ?? 0) < settings.failureThreshold;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let current: Promise<void> | undefined;

  const probe = async (name: string) => {
    const ok = await targets[name](AbortSignal.timeout(settings.timeoutMs)).catch(() => false);
    const wasUp = isUp(name);
    failures.set(name, ok ? 0 : Math.min(settings.failureThreshold, (failures.get(name) ?? 0) + 1));
    if (isUp(name) !== wasUp) onChange(name, isUp(name));
  };
  const round = () => {
    current ??= Promise.all(Object.keys(targets).map(probe)).then(() => {
      current = undefined;
    });
    return current;
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => void round().then(schedule), settings.intervalMs);
    // Readiness alone must not keep a process alive that is otherwise done.
    timer.unref();
  };
  void round().then(schedule);

  return {
    allUp: () => Object.keys(targets).every(isUp),
    down: () => Object.keys(targets).filter((name) => !isUp(name)),
    round,
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
