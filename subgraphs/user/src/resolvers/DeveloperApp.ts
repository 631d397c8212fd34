import type { DeveloperAppResolvers } from './types.generated';

export const DeveloperApp: DeveloperAppResolvers = {
  clientSecret: (app) => app.clientSecret ?? null,
};
