import { actingUser } from '../../../../kernel/access';
import type { QueryResolvers } from './types.generated';

export const Query: QueryResolvers = {
  notificationPreferences: (_, __, ctx) => ctx.preferences.get(actingUser(ctx.identity)),
  categories: (_, args, ctx) => ctx.categories.list(args.first, args.after),
  category: (_, args, ctx) => ctx.categoryById.load(args.id),
};
