import { requirePermission } from '../../../../kernel/access';
import { DomainError, type FieldProblem } from '../../../../kernel/errors';
import type { Identity } from '../../../../kernel/identity';
import LIMITS from '../../limits.json';
import { recordEvent } from '../data/db';
import type { PlatformDefaults, PrismaClient } from '../data/prisma/client';
import { recordAudit } from './audit';

const {
  'defaults.chat.slowModeSeconds': SLOW,
  'defaults.chat.followersOnlyMinutes': FOLLOWERS,
  'defaults.chat.blockedTerms': TERMS,
  'staff.reason': REASON,
} = LIMITS;

/** A change to the chat defaults: an omitted field keeps its value, a null mode turns it off. */
export interface ChatDefaultsInput {
  slowModeSeconds?: number | null;
  followersOnlyMinutes?: number | null;
  subscriberOnly?: boolean | null;
  emoteOnly?: boolean | null;
  uniqueChat?: boolean | null;
  blockedTerms?: readonly string[] | null;
}

export interface PlatformDefaultsInput {
  chat?: ChatDefaultsInput | null;
}

/** The defaults as the graph shows them. */
export interface PlatformDefaultsView {
  version: number;
  updatedAt: Date;
  chat: {
    slowModeSeconds: number | null;
    followersOnlyMinutes: number | null;
    subscriberOnly: boolean;
    emoteOnly: boolean;
    uniqueChat: boolean;
    blockedTerms: string[];
  };
}

type ChatColumns = Pick<
  PlatformDefaults,
  'chatSlowModeSeconds' | 'chatFollowersOnlyMinutes' | 'chatSubscriberOnly' | 'chatEmoteOnly' | 'chatUniqueChat' | 'chatBlockedTerms'
>;

const viewOf = (row: PlatformDefaults): PlatformDefaultsView => ({
  version: row.version,
  updatedAt: row.updatedAt,
  chat: {
    slowModeSeconds: row.chatSlowModeSeconds,
    followersOnlyMinutes: row.chatFollowersOnlyMinutes,
    subscriberOnly: row.chatSubscriberOnly,
    emoteOnly: row.chatEmoteOnly,
    uniqueChat: row.chatUniqueChat,
    blockedTerms: row.chatBlockedTerms,
  },
});

/** A term as the chat domain compares it: NFKC, runs of blanks one space, trimmed. */
const termOf = (raw: string) => raw.normalize('NFKC').replace(/\s+/gu, ' ').trim();

/** The columns a change sets, checked against the domain's limits; every problem at once. */
function validate(input: ChatDefaultsInput): Partial<ChatColumns> {
  const problems: FieldProblem[] = [];
  const out: Partial<ChatColumns> = {};
  const range = (field: 'slowModeSeconds' | 'followersOnlyMinutes', bounds: { minimum: number; maximum: number }) => {
    const value = input[field];
    if (value === undefined) return undefined;
    if (value !== null && (!Number.isInteger(value) || value < bounds.minimum || value > bounds.maximum)) {
      problems.push({ field: `chat.${field}`, message: `must be null (off) or ${bounds.minimum}–${bounds.maximum}` });
      return undefined;
    }
    return value;
  };
  const slow = range('slowModeSeconds', SLOW);
  if (slow !== undefined) out.chatSlowModeSeconds = slow;
  const followers = range('followersOnlyMinutes', FOLLOWERS);
  if (followers !== undefined) out.chatFollowersOnlyMinutes = followers;
  if (input.subscriberOnly != null) out.chatSubscriberOnly = input.subscriberOnly;
  if (input.emoteOnly != null) out.chatEmoteOnly = input.emoteOnly;
  if (input.uniqueChat != null) out.chatUniqueChat = input.uniqueChat;
  if (input.blockedTerms != null) {
    const terms = [...new Set(input.blockedTerms.map(termOf))];
    if (terms.length > TERMS.maxItems) problems.push({ field: 'chat.blockedTerms', message: `must hold at most ${TERMS.maxItems} terms` });
    else if (terms.some((t) => t.length < TERMS.items.minLength || t.length > TERMS.items.maxLength))
      problems.push({
        field: 'chat.blockedTerms',
        message: `each term must be ${TERMS.items.minLength}–${TERMS.items.maxLength} characters`,
      });
    else out.chatBlockedTerms = terms;
  }
  if (problems.length > 0) throw new DomainError('VALIDATION_FAILED', 'the defaults are invalid', { fields: problems });
  return out;
}

function reasonOf(reason: string | null | undefined): string | null {
  const text = (reason ?? '').trim();
  if (text.length > REASON.maxLength)
    throw new DomainError('VALIDATION_FAILED', 'the reason is too long', {
      fields: [{ field: 'reason', message: `must be at most ${REASON.maxLength} characters` }],
    });
  return text || null;
}

const sameValue = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The platform's defaults: read and changed by staff holding `settings:manage` with a fresh second factor. A change
 * commits with its audit record and with ptfm.defaults.updated.v1, which carries every default as it now is; ptfm
 * applies none of them itself, the domain owning each setting does.
 */
export class DefaultsService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly mfaMaxAgeSeconds: number,
  ) {}

  async get(identity: Identity): Promise<PlatformDefaultsView> {
    requirePermission(identity, 'settings:manage', this.mfaMaxAgeSeconds);
    return viewOf(await this.prisma.platformDefaults.findUniqueOrThrow({ where: { id: 1 } }));
  }

  async update(identity: Identity, input: PlatformDefaultsInput, reason?: string | null): Promise<PlatformDefaultsView> {
    requirePermission(identity, 'settings:manage', this.mfaMaxAgeSeconds);
    const changes = validate(input.chat ?? {});
    const why = reasonOf(reason);
    return this.prisma.$transaction(async (tx) => {
      // The row locked: two changes at once are applied one after the other, each with its own version.
      await tx.$queryRaw`SELECT 1 FROM platform_defaults WHERE id = 1 FOR UPDATE`;
      const current = await tx.platformDefaults.findUniqueOrThrow({ where: { id: 1 } });
      const changed = Object.fromEntries(
        Object.entries(changes).filter(([key, value]) => !sameValue(current[key as keyof ChatColumns], value)),
      ) as Partial<ChatColumns>;
      if (Object.keys(changed).length === 0) return viewOf(current);
      const row = await tx.platformDefaults.update({
        where: { id: 1 },
        data: { ...changed, version: { increment: 1 }, updatedAt: new Date() },
      });
      const view = viewOf(row);
      await recordEvent(tx, 'ptfm.defaults.updated.v1', 'platform', {
        version: view.version,
        changedAt: view.updatedAt.toISOString(),
        chat: view.chat,
      });
      const before = viewOf(current).chat;
      const fields = Object.keys(view.chat).filter(
        (key) => !sameValue(before[key as keyof typeof before], view.chat[key as keyof typeof before]),
      );
      await recordAudit(tx, identity, 'defaults.updated', { type: 'defaults', id: 'platform' }, why, {
        version: view.version,
        chat: Object.fromEntries(
          fields.map((key) => [key, { from: before[key as keyof typeof before], to: view.chat[key as keyof typeof before] }]),
        ),
      });
      return view;
    });
  }
}
