import type { ChatFragmentTypeResolvers } from './types.generated';

/** Stored and published in lowercase, as in the event contracts; GraphQL spells enum values in capitals. */
export const ChatFragmentType: ChatFragmentTypeResolvers = { TEXT: 'text', EMOTE: 'emote', MENTION: 'mention' };
