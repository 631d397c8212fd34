import { DomainError } from '../../../kernel/errors';
import { connectChatDb } from './data/db';
import { EmotesService } from './services/emotes.service';
import { RoomsService } from './services/rooms.service';

const DEMO_GLOBAL_EMOTES = [
  { code: 'Kappa', name: 'Kappa' },
  { code: 'PogChamp', name: 'PogChamp' },
  { code: 'LUL', name: 'LUL' },
];

/** `npm start`'s global emote set; emotes that exist already are left as they are. */
export async function seed(databaseUrl: string): Promise<void> {
  const db = connectChatDb(databaseUrl, 1);
  try {
    const emotes = new EmotesService(db.prisma, new RoomsService(db.prisma));
    for (const emote of DEMO_GLOBAL_EMOTES) {
      await emotes.createGlobal(emote).catch((error) => {
        if (!(error instanceof DomainError)) throw error;
      });
    }
  } finally {
    await db.close();
  }
}
