import { randomUUID } from 'node:crypto';
import { DomainError, type ErrorCode } from '../../../../kernel/errors';
import { type PrismaClient, recordEvent } from '../data/db';
import type { LiveProvider, ProviderEvent, WebhookDialect, WebhookVerifier } from '../providers/port';
import { WebhookRejected } from '../providers/port';

const REJECTION_CODES: Record<WebhookRejected['reason'], ErrorCode> = {
  signature: 'LIVE_WEBHOOK_SIGNATURE_INVALID',
  stale: 'LIVE_WEBHOOK_STALE',
  malformed: 'LIVE_WEBHOOK_MALFORMED',
  'unknown-event': 'LIVE_WEBHOOK_UNKNOWN_EVENT',
};

/** Providers' stream events carry the stream's key (and Mux's its SRT passphrase): the inbox keeps neither. */
const SECRET_FIELDS = new Set(['stream_key', 'srt_passphrase', 'streamKey']);

function withoutSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSecrets);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !SECRET_FIELDS.has(key))
      .map(([key, v]) => [key, withoutSecrets(v)]),
  );
}

/**
 * The webhook inbox: a provider's webhook is verified on the bytes it sent, then recorded once per provider event
 * id with its live.webhook.received.v1 in the same transaction; the provider is answered only after that commit,
 * so a webhook it saw acknowledged is never lost, and one it retries is recorded once. Applying it to the stream is
 * the webhooks worker's job, never the request's.
 */
export class WebhooksService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly provider: LiveProvider,
    private readonly verifiers: Partial<Record<WebhookDialect, WebhookVerifier>>,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async receive(dialect: string, payloadBase64: string, signature: string | null | undefined): Promise<{ id: string; duplicate: boolean }> {
    const verifier = dialect === this.provider.webhookDialect ? this.verifiers[dialect as WebhookDialect] : undefined;
    if (!verifier) throw new DomainError('LIVE_PROVIDER_UNKNOWN', `no webhooks are taken from ${dialect.slice(0, 40)} here`);
    const raw = Buffer.from(payloadBase64, 'base64');
    let event: ProviderEvent;
    try {
      verifier.verify(raw, signature ?? undefined, this.now());
      event = verifier.parse(raw);
    } catch (error) {
      if (error instanceof WebhookRejected) throw new DomainError(REJECTION_CODES[error.reason], error.message);
      throw error;
    }
    const input = await this.subjectOf(event);
    if (!input) throw new DomainError('LIVE_WEBHOOK_UNKNOWN_STREAM', 'the webhook names a live stream this platform does not hold');

    const id = randomUUID();
    return this.prisma.$transaction(async (tx) => {
      const inserted = await tx.webhookInbox.createMany({
        data: [
          {
            id,
            provider: this.provider.name,
            eventId: event.eventId,
            eventType: event.eventType,
            channelId: input.channelId,
            occurredAt: event.occurredAt,
            payload: withoutSecrets(JSON.parse(raw.toString('utf8'))) as object,
          },
        ],
        skipDuplicates: true,
      });
      if (!inserted.count) {
        const first = await tx.webhookInbox.findUniqueOrThrow({
          where: { provider_eventId: { provider: this.provider.name, eventId: event.eventId } },
          select: { id: true },
        });
        return { id: first.id, duplicate: true };
      }
      await recordEvent(tx, 'live.webhook.received.v1', input.channelId, {
        inboxId: id,
        provider: this.provider.name as 'local' | 'mux' | 'livepeer',
        providerEventId: event.eventId,
        eventType: event.eventType,
        channelId: input.channelId,
        providerOccurredAt: event.occurredAt.toISOString(),
        ...(input.clipId ? { clipId: input.clipId } : {}),
        ...(event.asset ? { asset: event.asset } : {}),
      });
      return { id, duplicate: false };
    });
  }

  /**
   * The channel an event is about: the live input it names, or for an asset event naming no live stream, the clip
   * it is or the recording a VOD holds (Livepeer's asset events name no stream). An asset reported before its clip's
   * or VOD's row committed is unknown.
   */
  private async subjectOf(event: ProviderEvent): Promise<{ channelId: string; clipId?: string } | null> {
    const provider = this.provider.name;
    if (event.providerInputId) {
      return this.prisma.liveInput.findUnique({
        where: { provider_providerInputId: { provider, providerInputId: event.providerInputId } },
        select: { channelId: true },
      });
    }
    if (!event.asset) return null;
    const providerAsset = { provider_providerAssetId: { provider, providerAssetId: event.asset.assetId } };
    const clip = await this.prisma.clip.findUnique({ where: providerAsset, select: { id: true, channelId: true } });
    if (clip) return { channelId: clip.channelId, clipId: clip.id };
    return this.prisma.vod.findUnique({ where: providerAsset, select: { channelId: true } });
  }
}
