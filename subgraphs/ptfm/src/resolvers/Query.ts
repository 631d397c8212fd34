import { actingUser } from '../../../../kernel/access';
import type { QueryResolvers } from './types.generated';

export const Query: QueryResolvers = {
  notificationPreferences: (_, __, ctx) => ctx.preferences.get(actingUser(ctx.identity)),
  categories: (_, args, ctx) => ctx.categories.list(args.first, args.after),
  category: (_, args, ctx) => ctx.categoryById.load(args.id),
  search: (_, { query, type, first, after }, ctx) => {
    if (type === 'CATEGORIES') return ctx.search.categories(query, { first, after });
    if (type === 'USERS') return ctx.search.users(query, { first, after });
    return ctx.search.channels(query, { first, after });
  },
  searchChannels: (_, { query, liveOnly, first, after }, ctx) => ctx.search.channels(query, { liveOnly, first, after }),
  searchCategories: (_, { query, first, after }, ctx) => ctx.search.categories(query, { first, after }),
  platformDefaults: (_, __, ctx) => ctx.defaults.get(ctx.identity),
  trustCases: (_, args, ctx) => ctx.cases.list(ctx.identity, args.status, args.first),
};
