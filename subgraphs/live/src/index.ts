import { Thumbnails } from './services/thumbnails';
import type { EventBus } from '../../../kernel/bus/port';
import type { Logger } from '../../../kernel/log';
import { startDomainService } from '../../../kernel/subgraph';
import { startDomainWorker } from '../../../kernel/worker-process';
import type { LiveProvisionConfig, LiveStoreConfig, LiveViewersConfig, LiveWebhooksConfig } from './config';
import { createLiveContext } from './context';
import { connectLiveDb, LIVE_SCHEMA } from './data/db';
import { providerFromConfig } from './providers';
import { resolvers } from './resolvers';
import { ClipsService } from './services/clips.service';
import { IngestService } from './services/ingest.service';
import { KeyCipher } from './services/key-cipher';
import { StreamsService } from './services/streams.service';
import { ViewersService } from './services/viewers.service';
import { VodsService } from './services/vods.service';
import { createLiveProvisionWorker } from './workers/provision.wkr';
import { createLiveViewersWorker } from './workers/viewers.wkr';
import { createLiveWebhooksWorker } from './workers/webhooks.wkr';

/** live-store-svc: the live subgraph (ingest, streams, the webhook inbox) and the relay of the live domain's outbox. */
export const startLiveStoreSvc = (config: LiveStoreConfig, bus: EventBus, logger: Logger) =>
  startDomainService(
    { name: 'live', schema: LIVE_SCHEMA, connect: connectLiveDb, resolvers, context: (deps) => createLiveContext(config, deps) },
    { ...config, port: config.LIVE_STORE_PORT },
    bus,
    logger,
  );

/** live-provision-wkr: a live input for every new channel, and the channels' titles and categories. */
export const startLiveProvisionWkr = (config: LiveProvisionConfig, bus: EventBus, logger: Logger) =>
  startDomainWorker(
    {
      connect: connectLiveDb,
      worker: (prisma, on, log) =>
        createLiveProvisionWorker(
          on,
          new IngestService(prisma, providerFromConfig(config), new KeyCipher(config.LIVE_KEY_ENCRYPTION_KEY)),
          new StreamsService(prisma),
          log,
        ),
    },
    { ...config, port: config.LIVE_PROVISION_HEALTH_PORT },
    bus,
    logger,
  );

/** live-webhooks-wkr: applies the recorded provider webhooks to the channels' streams, VODs and clips. */
export const startLiveWebhooksWkr = (config: LiveWebhooksConfig, bus: EventBus, logger: Logger) =>
  startDomainWorker(
    {
      connect: connectLiveDb,
      worker: (prisma, on, log, pool) =>
        createLiveWebhooksWorker(
          on,
          {
            streams: new StreamsService(prisma, {
              reconnectWindowSeconds: config.LIVE_RECONNECT_WINDOW_SECONDS,
              thumbnails: new Thumbnails(config.LIVE_IMAGE_BASE_URL),
            }),
            vods: new VodsService(prisma),
            clips: new ClipsService(prisma),
          },
          log,
          // The process's own pool: it closes it when it stops.
          { db: { prisma, pool, close: async () => {} }, intervalMs: config.LIVE_DROP_CHECK_INTERVAL_MS },
        ),
    },
    { ...config, port: config.LIVE_WEBHOOKS_HEALTH_PORT },
    bus,
    logger,
  );

/** live-viewers-wkr: the realtime gateway's viewer counts onto the streams on air. */
export const startLiveViewersWkr = (config: LiveViewersConfig, bus: EventBus, logger: Logger) =>
  startDomainWorker(
    { connect: connectLiveDb, worker: (prisma, on, log) => createLiveViewersWorker(on, new ViewersService(prisma), log) },
    { ...config, port: config.LIVE_VIEWERS_HEALTH_PORT },
    bus,
    logger,
  );

export { livePruneRnr } from './workers/prune.rnr';
