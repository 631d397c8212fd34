/**
 * Thumbnail URLs derived from playback ids in Mux's image API shape (https://docs.mux.com/guides/get-images-from-a-video):
 * for a live playback id the image is the latest frame, so the same URL refreshes while the stream is on air; `time`
 * picks a moment of a recording.
 */
export class Thumbnails {
  constructor(
    private readonly baseUrl: string,
    /** How often a live stream's still is renewed: its URL changes this often, so no cache keeps an old frame. */
    private readonly liveRefreshSeconds = 60,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * A live stream's latest still. The image is the same URL's latest frame, which caches (the client's, a CDN) would
   * keep: a version parameter, the number of refresh periods since the stream started, renews the URL on schedule.
   */
  live(playbackId: string | null | undefined, startedAt: Date | null): string | null {
    const url = this.url(playbackId);
    if (!url || !startedAt) return url;
    const periods = Math.max(0, Math.floor((this.now().getTime() - startedAt.getTime()) / (this.liveRefreshSeconds * 1000)));
    return `${url}?v=${periods}`;
  }

  url(playbackId: string | null | undefined, seconds?: number): string | null {
    if (!playbackId) return null;
    const url = new URL(`${encodeURIComponent(playbackId)}/thumbnail.jpg`, this.baseUrl.endsWith('/') ? this.baseUrl : `${this.baseUrl}/`);
    if (seconds !== undefined) url.searchParams.set('time', String(Math.max(0, Math.floor(seconds))));
    return url.toString();
  }
}
