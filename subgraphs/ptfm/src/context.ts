import DataLoader from 'dataloader';
import type { Identity } from '../../../kernel/identity';
import type { Logger } from '../../../kernel/log';
import type { Category, PrismaClient } from './data/db';
import { CasesService } from './services/cases.service';
import { CategoriesService } from './services/categories.service';
import { DefaultsService } from './services/defaults.service';
import { InboxService } from './services/inbox.service';
import { PreferencesService } from './services/preferences.service';
import { PushSubscriptionsService } from './services/push-subscriptions.service';
import { SearchService } from './services/search.service';

export interface PtfmServices {
  inbox: InboxService;
  preferences: PreferencesService;
  pushSubscriptions: PushSubscriptionsService;
  categories: CategoriesService;
  defaults: DefaultsService;
  search: SearchService;
  cases: CasesService;
}

export interface PtfmContext extends PtfmServices {
  identity: Identity;
  log: Logger;
  /** Per request: a plan resolving the categories of 100 channels makes one query. */
  categoryById: DataLoader<string, Category | null>;
}

/** The platform domain's services, built once per process; the context of each request is made from them. */
export function createPtfmContext({ prisma }: { prisma: PrismaClient }, settings: { mfaMaxAgeSeconds: number }) {
  const services: PtfmServices = {
    inbox: new InboxService(prisma),
    preferences: new PreferencesService(prisma),
    pushSubscriptions: new PushSubscriptionsService(prisma),
    categories: new CategoriesService(prisma, settings.mfaMaxAgeSeconds),
    defaults: new DefaultsService(prisma, settings.mfaMaxAgeSeconds),
    search: new SearchService(prisma),
    cases: new CasesService(prisma, settings.mfaMaxAgeSeconds),
  };
  return (identity: Identity, log: Logger): PtfmContext => ({
    ...services,
    identity,
    log,
    categoryById: new DataLoader((ids) => services.categories.byIds(ids)),
  });
}
