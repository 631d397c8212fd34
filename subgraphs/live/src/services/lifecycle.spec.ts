import { decide, type OpenStream } from './lifecycle';

const at = (seconds: number) => new Date(Date.UTC(2026, 10, 27, 12, 0, seconds));
const WINDOW = 60;
const live: OpenStream = { state: 'live', startedAt: at(10), disconnectedAt: null };
const connecting: OpenStream = { state: 'connecting', startedAt: null, disconnectedAt: null };
const reconnecting: OpenStream = { state: 'reconnecting', startedAt: at(10), disconnectedAt: at(100) };

describe('the stream lifecycle', () => {
  describe('offline', () => {
    it('should open a connecting stream on connected, announcing nothing yet', () => {
      expect(decide(null, null, 'connected', at(1), WINDOW)).toEqual({ apply: { open: { state: 'connecting', startedAt: null } } });
    });

    it('should open a live stream on active and announce it', () => {
      expect(decide(null, at(0), 'active', at(1), WINDOW)).toEqual({ apply: { open: { state: 'live', startedAt: at(1) }, started: true } });
    });

    it.each(['disconnected', 'idle'] as const)('should ignore %s', (signal) => {
      expect(decide(null, at(0), signal, at(1), WINDOW)).toEqual({ ignore: 'no-effect' });
    });
  });

  it('should go live from connecting on active, announcing the start', () => {
    expect(decide(connecting, at(1), 'active', at(2), WINDOW)).toEqual({
      apply: { change: { state: 'live', startedAt: at(2), disconnectedAt: null }, started: true },
    });
  });

  it('should move to reconnecting on disconnected and announce it', () => {
    expect(decide(live, at(10), 'disconnected', at(100), WINDOW)).toEqual({
      apply: { change: { state: 'reconnecting', disconnectedAt: at(100) }, announceChange: true },
    });
  });

  it('should end on idle, announcing only a stream that went live', () => {
    expect(decide(live, at(10), 'idle', at(200), WINDOW)).toEqual({ apply: { end: { at: at(200), announce: true } } });
    expect(decide(connecting, at(1), 'idle', at(5), WINDOW)).toEqual({ apply: { end: { at: at(5), announce: false } } });
  });

  describe('a reconnection', () => {
    it('within the window should continue the same stream', () => {
      expect(decide(reconnecting, at(100), 'connected', at(130), WINDOW)).toEqual({ ignore: 'no-effect' });
      expect(decide(reconnecting, at(130), 'active', at(160), WINDOW)).toEqual({
        apply: { change: { state: 'live', disconnectedAt: null }, announceChange: true },
      });
    });

    it('after the window should end the stream when it dropped and start another', () => {
      expect(decide(reconnecting, at(100), 'active', at(161), WINDOW)).toEqual({
        apply: { end: { at: at(100), announce: true }, open: { state: 'live', startedAt: at(161) }, started: true },
      });
      expect(decide(reconnecting, at(100), 'connected', at(161), WINDOW)).toEqual({
        apply: { end: { at: at(100), announce: true }, open: { state: 'connecting', startedAt: null } },
      });
    });
  });

  describe('late and duplicated events', () => {
    it.each(['connected', 'active', 'disconnected', 'idle'] as const)('should ignore a %s not newer than the last applied', (signal) => {
      expect(decide(live, at(50), signal, at(50), WINDOW)).toEqual({ ignore: 'stale' });
      expect(decide(live, at(50), signal, at(49), WINDOW)).toEqual({ ignore: 'stale' });
      expect(decide(null, at(50), signal, at(20), WINDOW)).toEqual({ ignore: 'stale' });
    });

    it('should ignore an active while live and a disconnected while reconnecting', () => {
      expect(decide(live, at(10), 'active', at(11), WINDOW)).toEqual({ ignore: 'no-effect' });
      expect(decide(reconnecting, at(100), 'disconnected', at(101), WINDOW)).toEqual({ ignore: 'no-effect' });
    });
  });
});
