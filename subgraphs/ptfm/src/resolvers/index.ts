import { CaseStatus } from './CaseStatus';
import { Category } from './Category';
import { Mutation } from './Mutation';
import { NotificationKind } from './NotificationKind';
import { Query } from './Query';
import { SearchResult } from './SearchResult';
import { User } from './User';
import type { Resolvers } from './types.generated';

export const resolvers: Resolvers = { Query, Mutation, User, NotificationKind, CaseStatus, Category, SearchResult };
