import DataLoader from 'dataloader';
import { actsForUser } from '../../../kernel/access';
import type { Identity } from '../../../kernel/identity';
import type { Logger } from '../../../kernel/log';
import type { Channel, PrismaClient } from './data/db';
import { ChannelsService } from './services/channels.service';

export interface ChnlContext {
  identity: Identity;
  log: Logger;
  channels: ChannelsService;
  /** Per-request loaders: a plan touching 50 channels or users makes one query each, and nothing leaks across callers. */
  channelById: DataLoader<string, Channel | null>;
  channelByOwner: DataLoader<string, Channel | null>;
  followedByViewer: DataLoader<string, boolean>;
}

/** The channel domain's services, built once per process; the context of each request is made from them. */
export function createChnlContext({ prisma }: { prisma: PrismaClient }) {
  const channels = new ChannelsService(prisma);
  return (identity: Identity, log: Logger): ChnlContext => ({
    identity,
    log,
    channels,
    channelById: new DataLoader((ids) => channels.byIds(ids)),
    channelByOwner: new DataLoader((ids) => channels.byOwnerIds(ids)),
    followedByViewer: new DataLoader((ids) =>
      actsForUser(identity) ? channels.followedBy(identity.userId, ids) : Promise.resolve(ids.map(() => false)),
    ),
  });
}
