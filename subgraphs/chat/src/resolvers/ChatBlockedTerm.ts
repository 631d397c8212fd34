import type { BlockedTerm } from '../data/db';

export const ChatBlockedTerm = {
  createdBy: (term: BlockedTerm) => ({ __typename: 'User', id: term.createdBy }),
  createdAt: (term: BlockedTerm) => term.createdAt.toISOString(),
};
