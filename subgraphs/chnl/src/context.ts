import DataLoader from 'dataloader';
import { actsForUser } from '../../../kernel/access';
import type { Identity } from '../../../kernel/identity';
import type { Logger } from '../../../kernel/log';
import type { Channel } from './data/db';
import type { ChannelsService } from './services/channels.service';

export interface ChnlContext {
  identity: Identity;
  log: Logger;
  channels: ChannelsService;
  /** Per-request loaders: a plan touching 50 channels or users makes one query each, and nothing leaks across callers. */
  channelById: DataLoader<string, Channel | null>;
  channelByOwner: DataLoader<string, Channel | null>;
  followedByViewer: DataLoader<string, boolean>;
}

export function createChnlContext(channels: ChannelsService) {
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
