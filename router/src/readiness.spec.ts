import { backgroundProbes, type BackgroundProbes } from './readiness';

describe(backgroundProbes.name, () => {
  let probes: BackgroundProbes | undefined;
  afterEach(() => probes?.stop());

  /** Targets whose answers the test sets; the rounds are run by the test, the background one waits far off. */
  const targets = (answers: Record<string, boolean | 'hang'>) =>
    Object.fromEntries(
      Object.keys(answers).map((name) => [
        name,
        (signal: AbortSignal) =>
          answers[name] === 'hang'
            ? new Promise<boolean>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)))
            : Promise.resolve(answers[name] as boolean),
      ]),
    );
  const settings = { intervalMs: 5000, timeoutMs: 100, failureThreshold: 3 };

  it('should count a target down only after as many failed probes in a row as the threshold', async () => {
    const answers: Record<string, boolean | 'hang'> = { user: true, chat: true };
    const changes: string[] = [];
    probes = backgroundProbes(targets(answers), settings, (name, up) => changes.push(`${name} ${up ? 'up' : 'down'}`));
    await probes.round();
    expect(probes.allUp()).toBe(true);

    answers.chat = 'hang';
    await probes.round();
    await probes.round();
    expect({ allUp: probes.allUp(), down: probes.down() }).toEqual({ allUp: true, down: [] });
    await probes.round();
    expect({ allUp: probes.allUp(), down: probes.down() }).toEqual({ allUp: false, down: ['chat'] });
    expect(changes).toEqual(['user up', 'chat up', 'chat down']);
  });

  it('should forget failures once a probe succeeds, and count a target up again on its first success', async () => {
    const answers: Record<string, boolean | 'hang'> = { user: true };
    probes = backgroundProbes(targets(answers), settings);
    await probes.round();
    answers.user = false;
    await probes.round();
    await probes.round();
    answers.user = true;
    await probes.round();
    answers.user = false;
    await probes.round();
    await probes.round();
    expect(probes.allUp()).toBe(true);

    await probes.round();
    expect(probes.allUp()).toBe(false);
    answers.user = true;
    await probes.round();
    expect(probes.allUp()).toBe(true);
  });

  it('should count a target never heard from as down', () => {
    probes = backgroundProbes({ user: () => new Promise<boolean>(() => undefined) }, settings);
    expect({ allUp: probes.allUp(), down: probes.down() }).toEqual({ allUp: false, down: ['user'] });
  });

  it('should count a probe that throws as failed', async () => {
    probes = backgroundProbes({ user: () => Promise.reject(new Error('connection refused')) }, { ...settings, failureThreshold: 1 });
    await probes.round();
    expect(probes.down()).toEqual(['user']);
  });
});
