import type { ChatBlockedTermResolvers } from './types.generated';

export const ChatBlockedTerm: ChatBlockedTermResolvers = {
  createdBy: (term) => ({ __typename: 'User', id: term.createdBy }),
};
