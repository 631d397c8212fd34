import { actingUser } from '../../../../kernel/access';
import { oncePerEvent } from '../../../../kernel/bus/once';
import { DomainError } from '../../../../kernel/errors';
import type { EventOf } from '../../../../kernel/events';
import type { Identity } from '../../../../kernel/identity';
import type { LiveInput, PrismaClient } from '../data/db';
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
   * transaction (it cannot take part in one): a retry after a failure asks it again, and an input it created for
   * an attempt that did not commit is left unused there.
   */
  async provision(event: EventOf<'chnl.channel.created.v1'>, group: string): Promise<'created' | 'duplicate'> {
    const { channelId, ownerId, title = '', category = '', createdAt } = event.data;
    const existing = await this.prisma.liveInput.findUnique({ where: { channelId } });
    const input = existing ? null : await this.provider.createLiveInput(channelId);
    return oncePerEvent(this.prisma, group, event.id, async (tx) => {
      await tx.channelInfo.createMany({
        data: [{ channelId, ownerId, title, category, changedAt: new Date(createdAt) }],
        skipDuplicates: true,
      });
      if (!input) return 'duplicate' as const;
      const created = await tx.liveInput.createMany({
        data: [
          {
            channelId,
            provider: this.provider.name,
            providerInputId: input.providerInputId,
            streamKeyCipher: this.cipher.encrypt(input.streamKey),
            streamKeyHash: streamKeyHash(input.streamKey),
            playbackId: input.playbackId,
            rtmpUrl: input.rtmpUrl,
            srtUrl: input.srtUrl,
          },
        ],
        skipDuplicates: true,
      });
      return created.count ? ('created' as const) : ('duplicate' as const);
    });
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
