import DataLoader from 'dataloader';
import type { Identity } from '../../../kernel/identity';
import type { Logger } from '../../../kernel/log';
import type { User } from './data/db';
import type { AccountsService } from './services/accounts.service';
import type { DeveloperAppsService } from './services/developer-apps.service';

export interface UserContext {
  identity: Identity;
  log: Logger;
  accounts: AccountsService;
  apps: DeveloperAppsService;
  /** Per request, so a plan that resolves 50 users makes one query, and nothing is cached across callers. */
  users: DataLoader<string, User | null>;
  /** Accounts whose private fields the caller may read: their own, and one they have just created. */
  self: Set<string>;
}

export function createUserContext(accounts: AccountsService, apps: DeveloperAppsService) {
  return (identity: Identity, log: Logger): UserContext => ({
    identity,
    log,
    accounts,
    apps,
    users: new DataLoader((ids) => accounts.byIds(ids)),
    self: new Set(identity.userId ? [identity.userId] : []),
  });
}
