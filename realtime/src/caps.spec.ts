import { SocketCaps } from './caps';

describe(SocketCaps.name, () => {
  it('should admit up to its cap per key, and admit again once a socket closes', () => {
    const caps = new SocketCaps(2);
    expect([caps.take('a'), caps.take('a'), caps.take('a'), caps.take('b')]).toEqual([true, true, false, true]);
    caps.release('a');
    expect(caps.take('a')).toBe(true);
    expect(caps.take('a')).toBe(false);
  });

  it('should forget a key that holds nothing', () => {
    const caps = new SocketCaps(1);
    caps.take('a');
    caps.release('a');
    caps.release('a');
    expect([caps.take('a'), caps.take('a')]).toEqual([true, false]);
  });
});
