import type { Room } from '../data/db';

export const ChatSettings = {
  updatedAt: (room: Room) => room.updatedAt.toISOString(),
};
