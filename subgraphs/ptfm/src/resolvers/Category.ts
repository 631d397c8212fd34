import type { CategoryResolvers } from './types.generated';

export const Category: CategoryResolvers = {
  __resolveReference: (ref, ctx) => ctx.categoryById.load(ref.id),
};
