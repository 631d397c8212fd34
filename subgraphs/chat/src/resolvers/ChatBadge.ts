/** Stored and published in lowercase, as in the event contracts; GraphQL spells enum values in capitals. */
export const ChatBadge = { BROADCASTER: 'broadcaster', MODERATOR: 'moderator', VIP: 'vip' };
