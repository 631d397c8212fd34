import { AuditRecord } from './AuditRecord';
import { DeveloperApp } from './DeveloperApp';
import { Mutation } from './Mutation';
import { Query } from './Query';
import { User } from './User';

export const resolvers = { Query, Mutation, User, AuditRecord, DeveloperApp };
