import type { Identity } from '../../../kernel/identity';
import type { Logger } from '../../../kernel/log';
import type { PrismaClient } from './data/db';
import { InboxService } from './services/inbox.service';
import { PreferencesService } from './services/preferences.service';
import { PushSubscriptionsService } from './services/push-subscriptions.service';

export interface PtfmServices {
  inbox: InboxService;
  preferences: PreferencesService;
  pushSubscriptions: PushSubscriptionsService;
}

export interface PtfmContext extends PtfmServices {
  identity: Identity;
  log: Logger;
}

/** The platform domain's services, built once per process; the context of each request is made from them. */
export function createPtfmContext({ prisma }: { prisma: PrismaClient }) {
  const services: PtfmServices = {
    inbox: new InboxService(prisma),
    preferences: new PreferencesService(prisma),
    pushSubscriptions: new PushSubscriptionsService(prisma),
  };
  return (identity: Identity, log: Logger): PtfmContext => ({ ...services, identity, log });
}
