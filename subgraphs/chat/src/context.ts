import DataLoader from 'dataloader';
import type { Identity } from '../../../kernel/identity';
import type { Logger } from '../../../kernel/log';
import type { Message, Room } from './data/db';
import type { EmotesService } from './services/emotes.service';
import type { MessagesService } from './services/messages.service';
import type { ModerationService } from './services/moderation.service';
import type { RoomsService } from './services/rooms.service';

export interface ChatServices {
  rooms: RoomsService;
  messages: MessagesService;
  moderation: ModerationService;
  emotes: EmotesService;
}

export interface ChatContext extends ChatServices {
  identity: Identity;
  log: Logger;
  /** Per-request loaders: a plan touching many rooms or messages makes one query each. */
  roomById: DataLoader<string, Room | null>;
  messageById: DataLoader<string, Message | null>;
}

export function createChatContext(services: ChatServices) {
  return (identity: Identity, log: Logger): ChatContext => ({
    ...services,
    identity,
    log,
    roomById: new DataLoader((ids) => services.rooms.byIds(ids)),
    messageById: new DataLoader((ids) => services.messages.byIds(ids)),
  });
}
