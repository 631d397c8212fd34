import { actingUser, requireScope } from '../../../../kernel/access';
import { DomainError } from '../../../../kernel/errors';
import type { Identity } from '../../../../kernel/identity';
import type { Emote } from '../data/db';
import LIMITS from '../../limits.json';
import { Prisma, type PrismaClient } from '../data/prisma/client';
import type { RoomsService } from './rooms.service';

/** A code is one word: what the parser matches a message's words against. */
const CODE = new RegExp(LIMITS['emote.code'].pattern, 'u');
const NAME = LIMITS['emote.name'];

export interface EmoteInput {
  code: string;
  name: string;
}

/** Emote sets (metadata only): one global set, managed by staff or seeded, and one set per channel. */
export class EmotesService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly rooms: RoomsService,
  ) {}

  /** The global set, for seeding and the admin tools. */
  async createGlobal(input: EmoteInput): Promise<Emote> {
    return this.create(null, input);
  }

  /** The broadcaster adds an emote to their channel's set. */
  async createForChannel(identity: Identity, channelId: string, input: EmoteInput): Promise<Emote> {
    const callerId = actingUser(identity);
    requireScope(identity, 'channel:manage:emotes');
    const room = await this.rooms.get(channelId);
    if (room.ownerId !== callerId) throw new DomainError('CHNL_NOT_OWNER', "only the broadcaster manages their channel's emotes");
    return this.create(channelId, input);
  }

  /** The emotes usable in a room: the global set and the channel's. */
  async forRoom(channelId: string): Promise<Emote[]> {
    return this.prisma.emote.findMany({
      where: { OR: [{ channelId: null }, { channelId }] },
      orderBy: [{ channelId: { sort: 'asc', nulls: 'last' } }, { code: 'asc' }],
    });
  }

  private async create(channelId: string | null, input: EmoteInput): Promise<Emote> {
    const name = input.name.trim();
    const problems = [
      ...(CODE.test(input.code) ? [] : [{ field: 'code', message: "2–25 letters, digits or _:;()<>'-" }]),
      ...(name.length >= NAME.minLength && name.length <= NAME.maxLength
        ? []
        : [{ field: 'name', message: `${NAME.minLength}–${NAME.maxLength} characters` }]),
    ];
    if (problems.length) throw new DomainError('VALIDATION_FAILED', 'the emote is invalid', { fields: problems });
    try {
      return await this.prisma.emote.create({ data: { channelId, code: input.code, name } });
    } catch (error) {
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
        throw new DomainError('CHAT_EMOTE_CODE_TAKEN', 'this emote code is taken in this set');
      }
      throw error;
    }
  }
}
