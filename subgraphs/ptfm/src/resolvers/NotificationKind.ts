import type { NotificationKindResolvers } from './types.generated';

export const NotificationKind: NotificationKindResolvers = { GO_LIVE: 'go_live' };
