import { Thumbnails } from './thumbnails';

describe('thumbnails', () => {
  it('should derive a Mux image API URL from a playback id, at a moment of a recording when asked', () => {
    const thumbnails = new Thumbnails('https://image.mux.com');
    expect(thumbnails.url('pb123')).toBe('https://image.mux.com/pb123/thumbnail.jpg');
    expect(thumbnails.url('pb123', 12.7)).toBe('https://image.mux.com/pb123/thumbnail.jpg?time=12');
    expect(new Thumbnails('http://127.0.0.1:9/images/').url('a/b')).toBe('http://127.0.0.1:9/images/a%2Fb/thumbnail.jpg');
  });

  it("should renew a live stream's still every refresh period, counted from its start", () => {
    let now = new Date('2026-11-27T12:00:00.000Z');
    const thumbnails = new Thumbnails('https://image.mux.com', 60, () => now);
    const startedAt = new Date('2026-11-27T11:58:30.000Z');
    expect(thumbnails.live('pb123', startedAt)).toBe('https://image.mux.com/pb123/thumbnail.jpg?v=1');
    now = new Date('2026-11-27T12:00:29.999Z');
    expect(thumbnails.live('pb123', startedAt)).toBe('https://image.mux.com/pb123/thumbnail.jpg?v=1');
    now = new Date('2026-11-27T12:00:30.000Z');
    expect(thumbnails.live('pb123', startedAt)).toBe('https://image.mux.com/pb123/thumbnail.jpg?v=2');
    // Connected, not live yet: the latest frame as it is.
    expect(thumbnails.live('pb123', null)).toBe('https://image.mux.com/pb123/thumbnail.jpg');
    expect(thumbnails.live(null, startedAt)).toBeNull();
  });

  it('should have none without a playback id', () => {
    expect(new Thumbnails('https://image.mux.com').url('')).toBeNull();
    expect(new Thumbnails('https://image.mux.com').url(null)).toBeNull();
  });
});
