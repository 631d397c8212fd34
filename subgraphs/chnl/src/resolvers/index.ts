import { Channel } from './Channel';
import { ChannelMember } from './ChannelMember';
import { Follow } from './Follow';
import { Mutation } from './Mutation';
import { Query } from './Query';
import type { Resolvers } from './types.generated';
import { User } from './User';

export const resolvers: Resolvers = { Query, Mutation, Channel, ChannelMember, User, Follow };
