import { actingUser } from '../../../../kernel/access';
import type { QueryResolvers } from './types.generated';

export const Query: QueryResolvers = {
  notificationPreferences: (_, __, ctx) => ctx.preferences.get(actingUser(ctx.identity)),
};
