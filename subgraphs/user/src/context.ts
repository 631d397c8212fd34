import DataLoader from 'dataloader';
import { actsForUser } from '../../../kernel/access';
import type { Identity } from '../../../kernel/identity';
import type { Logger } from '../../../kernel/log';
import type { User } from './data/db';
import type { AccountsService } from './services/accounts.service';
import type { StaffService } from './services/staff.service';
import type { DeveloperAppsService } from './services/developer-apps.service';

export interface UserContext {
  identity: Identity;
  log: Logger;
  accounts: AccountsService;
  staff: StaffService;
  apps: DeveloperAppsService;
  /** Per request, so a plan that resolves 50 users makes one query, and nothing is cached across callers. */
  users: DataLoader<string, User | null>;
  /** Accounts whose private fields the caller may read: their own, and one they have just created. */
  self: Set<string>;
  /** Whether the caller is staff allowed to read accounts' private fields. */
  staffReader: boolean;
}

export function createUserContext(accounts: AccountsService, staff: StaffService, apps: DeveloperAppsService) {
  return (identity: Identity, log: Logger): UserContext => ({
    identity,
    log,
    accounts,
    staff,
    apps,
    users: new DataLoader((ids) => accounts.byIds(ids)),
    self: new Set(actsForUser(identity) ? [identity.userId] : []),
    staffReader: staff.suspension.canReadUsers(identity),
  });
}
