import { connectPtfmDb } from './data/db';
import { CategoriesService, slugOf } from './services/categories.service';

const DEMO_CATEGORIES = ['Just Chatting', 'Minecraft', 'Fortnite', 'Chess', 'Music', 'Art', 'Software and Game Development'];

/** `npm start`'s category catalogue; a category whose slug exists already is left as it is. */
export async function seed(databaseUrl: string): Promise<number> {
  const db = connectPtfmDb(databaseUrl, 1);
  try {
    const categories = new CategoriesService(db.prisma, 0);
    return await categories.seed(
      DEMO_CATEGORIES.map((name) => ({ name, boxArtUrl: `https://images.streaming.example/box-art/${slugOf(name)}.jpg` })),
    );
  } finally {
    await db.close();
  }
}
