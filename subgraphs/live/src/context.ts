import DataLoader from 'dataloader';
import type { Identity } from '../../../kernel/identity';
import type { Logger } from '../../../kernel/log';
import type { LiveStoreConfig } from './config';
import type { Clip, PrismaClient, Stream, Vod } from './data/db';
import { providerFromConfig } from './providers';
import { LivepeerWebhooks } from './providers/livepeer';
import { MuxWebhooks } from './providers/mux';
import { ClipsService } from './services/clips.service';
import { IngestService } from './services/ingest.service';
import { KeyCipher } from './services/key-cipher';
import { StreamsService } from './services/streams.service';
import { Thumbnails } from './services/thumbnails';
import { VodsService } from './services/vods.service';
import { WebhooksService } from './services/webhooks.service';

export interface LiveServices {
  clips: ClipsService;
  ingest: IngestService;
  streams: StreamsService;
  webhooks: WebhooksService;
  thumbnails: Thumbnails;
  vods: VodsService;
}

export interface LiveContext extends LiveServices {
  identity: Identity;
  log: Logger;
  /** Per-request loaders: a plan touching many channels or streams makes one query each. */
  openStreamByChannel: DataLoader<string, Stream | null>;
  streamById: DataLoader<string, Stream | null>;
  vodById: DataLoader<string, Vod | null>;
  clipById: DataLoader<string, Clip | null>;
}

/** The live domain's services, built once per process; the context of each request is made from them. */
export function createLiveContext(config: LiveStoreConfig, { prisma }: { prisma: PrismaClient }) {
  const provider = providerFromConfig(config);
  const services: LiveServices = {
    clips: new ClipsService(prisma, provider),
    ingest: new IngestService(prisma, provider, new KeyCipher(config.LIVE_KEY_ENCRYPTION_KEY)),
    streams: new StreamsService(prisma),
    thumbnails: new Thumbnails(config.LIVE_IMAGE_BASE_URL, config.LIVE_THUMBNAIL_REFRESH_SECONDS),
    vods: new VodsService(prisma, provider),
    webhooks: new WebhooksService(prisma, provider, {
      mux: new MuxWebhooks(config.LIVE_MUX_WEBHOOK_SECRET, config.LIVE_WEBHOOK_TOLERANCE_SECONDS),
      livepeer: new LivepeerWebhooks(config.LIVE_LIVEPEER_WEBHOOK_SECRET, config.LIVE_WEBHOOK_TOLERANCE_SECONDS),
    }),
  };
  return (identity: Identity, log: Logger): LiveContext => ({
    ...services,
    identity,
    log,
    openStreamByChannel: new DataLoader((ids) => services.streams.openByChannels(ids)),
    streamById: new DataLoader((ids) => services.streams.byIds(ids)),
    vodById: new DataLoader((ids) => services.vods.byIds(ids)),
    clipById: new DataLoader((ids) => services.clips.byIds(ids)),
  });
}
