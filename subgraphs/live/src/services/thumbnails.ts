/**
 * Thumbnail URLs derived from playback ids in Mux's image API shape (https://docs.mux.com/guides/get-images-from-a-video):
 * for a live playback id the image is the latest frame, so the same URL refreshes while the stream is on air; `time`
 * picks a moment of a recording.
 */
export class Thumbnails {
  constructor(private readonly baseUrl: string) {}

  url(playbackId: string | null | undefined, seconds?: number): string | null {
    if (!playbackId) return null;
    const url = new URL(`${encodeURIComponent(playbackId)}/thumbnail.jpg`, this.baseUrl.endsWith('/') ? this.baseUrl : `${this.baseUrl}/`);
    if (seconds !== undefined) url.searchParams.set('time', String(Math.max(0, Math.floor(seconds))));
    return url.toString();
  }
}
