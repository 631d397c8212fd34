import { Thumbnails } from './thumbnails';

describe('thumbnails', () => {
  it('should derive a Mux image API URL from a playback id, at a moment of a recording when asked', () => {
    const thumbnails = new Thumbnails('https://image.mux.com');
    expect(thumbnails.url('pb123')).toBe('https://image.mux.com/pb123/thumbnail.jpg');
    expect(thumbnails.url('pb123', 12.7)).toBe('https://image.mux.com/pb123/thumbnail.jpg?time=12');
    expect(new Thumbnails('http://127.0.0.1:9/images/').url('a/b')).toBe('http://127.0.0.1:9/images/a%2Fb/thumbnail.jpg');
  });

  it('should have none without a playback id', () => {
    expect(new Thumbnails('https://image.mux.com').url('')).toBeNull();
    expect(new Thumbnails('https://image.mux.com').url(null)).toBeNull();
  });
});
