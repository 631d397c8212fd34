import { CHAT_ERRORS } from './chat';
import { CHNL_ERRORS } from './chnl';
import { LIVE_ERRORS } from './live';
import { PAYM_ERRORS } from './paym';
import { PTFM_ERRORS } from './ptfm';
import { USER_ERRORS } from './user';

/**
 * Error codes are part of every API's contract (clients switch on them; each names a documented problem type), so
 * each domain declares its own here, in a file of its name, as plain data: the kernel merges them with the generic
 * codes into the one code → HTTP status table, and every layer (subgraphs, router, REST facade, realtime gateway)
 * reads that table without importing a domain's code. A domain added to the platform adds its table to this list;
 * a code declared by two tables stops every process at start-up.
 */
export const DOMAIN_ERRORS = {
  user: USER_ERRORS,
  chnl: CHNL_ERRORS,
  chat: CHAT_ERRORS,
  live: LIVE_ERRORS,
  paym: PAYM_ERRORS,
  ptfm: PTFM_ERRORS,
} as const;
