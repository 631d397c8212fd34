import type { ChatBadgeResolvers } from './types.generated';

/** Stored and published in lowercase, as in the event contracts; GraphQL spells enum values in capitals. */
export const ChatBadge: ChatBadgeResolvers = { BROADCASTER: 'broadcaster', MODERATOR: 'moderator', VIP: 'vip', SUBSCRIBER: 'subscriber' };
