import type { Fragment } from '../services/text';

export const ChatFragment = {
  user: (fragment: Fragment) => (fragment.userId ? { __typename: 'User', id: fragment.userId } : null),
};
