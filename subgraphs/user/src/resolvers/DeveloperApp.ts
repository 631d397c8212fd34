import type { DeveloperApp as AppRow } from '../data/db';

export const DeveloperApp = {
  clientSecret: (app: AppRow & { clientSecret?: string | null }) => app.clientSecret ?? null,
  createdAt: (app: AppRow) => app.createdAt.toISOString(),
  secretRotatedAt: (app: AppRow) => app.secretRotatedAt?.toISOString() ?? null,
};
