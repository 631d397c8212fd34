/** A clock that follows real time and can be moved forward, for code that takes a `now()` and a test of a timeout. */
export function movableClock(): { now(): number; advance(ms: number): void } {
  let offset = 0;
  return {
    now: () => Date.now() + offset,
    advance: (ms) => {
      offset += ms;
    },
  };
}
