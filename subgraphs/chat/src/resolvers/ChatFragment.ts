import type { ChatFragmentResolvers } from './types.generated';

export const ChatFragment: ChatFragmentResolvers = {
  user: (fragment) => (fragment.userId ? { __typename: 'User', id: fragment.userId } : null),
};
