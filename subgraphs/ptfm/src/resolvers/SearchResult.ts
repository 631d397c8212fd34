import type { SearchResultResolvers } from './types.generated';

/** A result's type from its shape: only categories have a slug, only channels an owner. */
export const SearchResult: SearchResultResolvers = {
  __resolveType: (result) => ('slug' in result ? 'Category' : 'ownerId' in result ? 'ChannelSearchResult' : 'UserSearchResult'),
};
