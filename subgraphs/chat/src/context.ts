import DataLoader from 'dataloader';
import type Redis from 'ioredis';
import type { Identity } from '../../../kernel/identity';
import type { Logger } from '../../../kernel/log';
import type { ChatStoreConfig } from './config';
import type { Message, PrismaClient, Room } from './data/db';
import { ChatLimiter } from './services/chat-limiter';
import { type ChatterNames, ChattersService } from './services/chatters.service';
import { EmotesService } from './services/emotes.service';
import { MessagesService } from './services/messages.service';
import { RefusalCounter } from './services/refusals';
import { ModerationService } from './services/moderation.service';
import { RoomsService } from './services/rooms.service';

/** A user as the chat domain returns one: a reference, with the names when it is a message's sender. */
export interface UserReference {
  __typename: 'User';
  id: string;
  login?: string;
  displayName?: string;
}

export interface ChatServices {
  rooms: RoomsService;
  messages: MessagesService;
  chatters: ChattersService;
  moderation: ModerationService;
  emotes: EmotesService;
}

export interface ChatContext extends ChatServices {
  identity: Identity;
  log: Logger;
  /** Per-request loaders: a plan touching many rooms or messages makes one query each. */
  roomById: DataLoader<string, Room | null>;
  messageById: DataLoader<string, Message | null>;
  chatterById: DataLoader<string, ChatterNames | null>;
}

/** The chat domain's services, built once per process; the context of each request is made from them. */
export function createChatContext(config: ChatStoreConfig, { prisma, redis }: { prisma: PrismaClient; redis?: Redis }) {
  const limiter = new ChatLimiter(
    { viewerMessages: config.CHAT_VIEWER_MESSAGES_PER_30S, moderatorMessages: config.CHAT_MODERATOR_MESSAGES_PER_30S },
    redis,
    config.CHAT_REDIS_PREFIX,
  );
  const rooms = new RoomsService(prisma);
  const services: ChatServices = {
    rooms,
    messages: new MessagesService(
      prisma,
      rooms,
      limiter,
      new RefusalCounter(
        prisma,
        { windowSeconds: config.CHAT_REFUSALS_WINDOW_SECONDS, reportAt: config.CHAT_REFUSALS_REPORT_AT, prefix: config.CHAT_REDIS_PREFIX },
        redis,
      ),
    ),
    chatters: new ChattersService(prisma),
    moderation: new ModerationService(prisma, rooms),
    emotes: new EmotesService(prisma, rooms),
  };
  return (identity: Identity, log: Logger): ChatContext => ({
    ...services,
    identity,
    log,
    roomById: new DataLoader((ids) => services.rooms.byIds(ids)),
    messageById: new DataLoader((ids) => services.messages.byIds(ids)),
    chatterById: new DataLoader((ids) => services.chatters.byIds(ids)),
  });
}
