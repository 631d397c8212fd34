import { actingUser } from '../../../../kernel/access';
import { oncePerEventSql } from '../../../../kernel/bus/once';
import { DomainError } from '../../../../kernel/errors';
import type { EventOf } from '../../../../kernel/events';
import type { Identity } from '../../../../kernel/identity';
import type { LiveInput } from '../data/db';
import { Prisma, type PrismaClient } from '../data/prisma/client';
import type { LiveProvider } from '../providers/port';
import { type KeyCipher, streamKeyHash } from './key-cipher';

/** A channel's ingest as its broadcaster sees it, the key decrypted. */
export interface Ingest {
  provider: string;
  rtmpUrl: string;
  srtUrl: string | null;
  streamKey: string;
  playbackId: string;
}

/**
 * Each channel's live input at the provider. The stream key is a secret: stored encrypted with its digest beside it,
 * shown to the channel's broadcaster only, and never logged nor put in an event.
 */
export class IngestService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly provider: LiveProvider,
    private readonly cipher: KeyCipher,
  ) {}

  /**
   * The live input of a new channel, and the domain's record of who owns it. The provider is called before the
   * statement that writes both with the event's mark (it cannot take part in one): a retry after a failure asks it again, and an input it created for
   * an attempt that did not commit is left unused there.
   */
  async provision(event: EventOf<'chnl.channel.created.v1'>, group: string): Promise<'created' | 'duplicate'> {
    const { channelId, ownerId, title = '', category = '', createdAt } = event.data;
    const existing = await this.prisma.liveInput.findUnique({ where: { channelId } });
    const input = existing ? null : await this.provider.createLiveInput(channelId);
    const liveInput = input
      ? Prisma.sql`INSERT INTO live_input (channel_id, provider, provider_input_id, stream_key_cipher, stream_key_hash, playback_id, rtmp_url, srt_url)
          SELECT ${channelId}::uuid, ${this.provider.name}, ${input.providerInputId}, ${this.cipher.encrypt(input.streamKey)},
            ${streamKeyHash(input.streamKey)}, ${input.playbackId}, ${input.rtmpUrl}, ${input.srtUrl ?? null}
          FROM first_delivery
          ON CONFLICT DO NOTHING
          RETURNING 1`
      : Prisma.sql`SELECT 1 FROM first_delivery WHERE false`;
    const written = await oncePerEventSql(
      this.prisma,
      group,
      event.id,
      liveInput,
      Prisma.sql`channel_info_row AS (
        INSERT INTO channel_info (channel_id, owner_id, title, category, changed_at)
        SELECT ${channelId}::uuid, ${ownerId}::uuid, ${title}, ${category}, ${new Date(createdAt)} FROM first_delivery
        ON CONFLICT DO NOTHING
      )`,
    );
    return written === 1 ? 'created' : 'duplicate';
  }

  async get(identity: Identity, channelId: string): Promise<Ingest> {
    return this.present(await this.ownInput(identity, channelId));
  }

  /** A new key at the provider, then stored: from the answer on, the old key is refused. */
  async rotate(identity: Identity, channelId: string): Promise<Ingest> {
    const input = await this.ownInput(identity, channelId);
    const { streamKey, srtUrl, providerInputId, playbackId } = await this.provider.rotateStreamKey(input.providerInputId, channelId);
    const rotated = await this.prisma.liveInput.update({
      where: { channelId },
      data: {
        streamKeyCipher: this.cipher.encrypt(streamKey),
        streamKeyHash: streamKeyHash(streamKey),
        srtUrl,
        keyRotatedAt: new Date(),
        ...(providerInputId ? { providerInputId } : {}),
        ...(playbackId ? { playbackId } : {}),
      },
    });
    return this.present(rotated);
  }

  /** The local provider's ingest check: the channel a pushed key broadcasts on, null for a key no input holds. */
  async authorize(streamKey: string): Promise<string | null> {
    const input = await this.prisma.liveInput.findUnique({
      where: { streamKeyHash: streamKeyHash(streamKey) },
      select: { channelId: true },
    });
    return input?.channelId ?? null;
  }

  private async ownInput(identity: Identity, channelId: string): Promise<LiveInput> {
    const userId = actingUser(identity);
    const [info, input] = await Promise.all([
      this.prisma.channelInfo.findUnique({ where: { channelId } }),
      this.prisma.liveInput.findUnique({ where: { channelId } }),
    ]);
    if (!info || !input) throw new DomainError('LIVE_INPUT_NOT_FOUND', 'this channel has no live input yet');
    if (info.ownerId !== userId) throw new DomainError('LIVE_NOT_BROADCASTER', "only the channel's broadcaster sees its ingest");
    return input;
  }

  private present(input: LiveInput): Ingest {
    return {
      provider: input.provider,
      rtmpUrl: input.rtmpUrl,
      srtUrl: input.srtUrl,
      streamKey: this.cipher.decrypt(input.streamKeyCipher),
      playbackId: input.playbackId,
    };
  }
}
