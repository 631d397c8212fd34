import { AuditRecord } from './AuditRecord';
import { DeveloperApp } from './DeveloperApp';
import { Mutation } from './Mutation';
import { Query } from './Query';
import type { Resolvers } from './types.generated';
import { User } from './User';

export const resolvers: Resolvers = { Query, Mutation, User, AuditRecord, DeveloperApp };
