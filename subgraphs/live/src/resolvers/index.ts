import { Channel } from './Channel';
import { Clip } from './Clip';
import { ClipState } from './ClipState';
import { Mutation } from './Mutation';
import { Query } from './Query';
import { Stream } from './Stream';
import { StreamState } from './StreamState';
import type { Resolvers } from './types.generated';
import { Vod } from './Vod';
import { VodState } from './VodState';

export const resolvers: Resolvers = { Query, Mutation, Channel, Clip, ClipState, Stream, StreamState, Vod, VodState };
