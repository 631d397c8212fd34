/** Stored and published in lowercase, as in the event contracts; GraphQL spells enum values in capitals. */
export const ChatFragmentType = { TEXT: 'text', EMOTE: 'emote', MENTION: 'mention' };
