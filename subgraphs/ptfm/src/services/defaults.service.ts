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
  'defaults.chat.viewerMessagesPer30s': VIEWER_RATE,
  'defaults.chat.moderatorMessagesPer30s': MODERATOR_RATE,
  'defaults.login.accountFailures': FAILURES,
  'defaults.login.accountLockSeconds': LOCK,
  'defaults.login.ipAttemptsPerMinute': IP_ATTEMPTS,
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
  /** A null limit restores the chat domain's configured value. */
  viewerMessagesPer30s?: number | null;
  moderatorMessagesPer30s?: number | null;
}

/** A change to the login limits: an omitted field keeps its value, null restores the user domain's configured value. */
export interface LoginDefaultsInput {
  accountFailures?: number | null;
  accountLockSeconds?: number | null;
  attemptsPerIpPerMinute?: number | null;
}

export interface PlatformDefaultsInput {
  chat?: ChatDefaultsInput | null;
  login?: LoginDefaultsInput | null;
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
    viewerMessagesPer30s: number | null;
    moderatorMessagesPer30s: number | null;
  };
  login: { accountFailures: number | null; accountLockSeconds: number | null; attemptsPerIpPerMinute: number | null };
}

type Columns = Omit<PlatformDefaults, 'id' | 'version' | 'updatedAt'>;

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
    viewerMessagesPer30s: row.chatViewerMessagesPer30s,
    moderatorMessagesPer30s: row.chatModeratorMessagesPer30s,
  },
  login: {
    accountFailures: row.loginAccountFailures,
    accountLockSeconds: row.loginAccountLockSeconds,
    attemptsPerIpPerMinute: row.loginIpAttemptsPerMinute,
  },
});

/** A term as the chat domain compares it: NFKC, runs of blanks one space, trimmed. */
const termOf = (raw: string) => raw.normalize('NFKC').replace(/\s+/gu, ' ').trim();

type Bounds = { minimum: number; maximum: number };

/** The columns a change sets, checked against the domain's limits; every problem at once. */
function validate({ chat = {}, login = {} }: { chat?: ChatDefaultsInput | null; login?: LoginDefaultsInput | null }): Partial<Columns> {
  const problems: FieldProblem[] = [];
  const out: Partial<Columns> = {};
  /** An integer in bounds, null (off, or the owning domain's configured value) or omitted (undefined). */
  const range = (field: string, value: number | null | undefined, bounds: Bounds, nullMeans: string) => {
    if (value === undefined) return undefined;
    if (value !== null && (!Number.isInteger(value) || value < bounds.minimum || value > bounds.maximum)) {
      problems.push({ field, message: `must be null (${nullMeans}) or ${bounds.minimum}–${bounds.maximum}` });
      return undefined;
    }
    return value;
  };
  const set = <K extends keyof Columns>(column: K, value: Columns[K] | undefined) => {
    if (value !== undefined) out[column] = value;
  };
  const c = chat ?? {};
  const l = login ?? {};
  set('chatSlowModeSeconds', range('chat.slowModeSeconds', c.slowModeSeconds, SLOW, 'off'));
  set('chatFollowersOnlyMinutes', range('chat.followersOnlyMinutes', c.followersOnlyMinutes, FOLLOWERS, 'off'));
  set('chatViewerMessagesPer30s', range('chat.viewerMessagesPer30s', c.viewerMessagesPer30s, VIEWER_RATE, 'configured'));
  set('chatModeratorMessagesPer30s', range('chat.moderatorMessagesPer30s', c.moderatorMessagesPer30s, MODERATOR_RATE, 'configured'));
  set('loginAccountFailures', range('login.accountFailures', l.accountFailures, FAILURES, 'configured'));
  set('loginAccountLockSeconds', range('login.accountLockSeconds', l.accountLockSeconds, LOCK, 'configured'));
  set('loginIpAttemptsPerMinute', range('login.attemptsPerIpPerMinute', l.attemptsPerIpPerMinute, IP_ATTEMPTS, 'configured'));
  if (c.subscriberOnly != null) out.chatSubscriberOnly = c.subscriberOnly;
  if (c.emoteOnly != null) out.chatEmoteOnly = c.emoteOnly;
  if (c.uniqueChat != null) out.chatUniqueChat = c.uniqueChat;
  if (c.blockedTerms != null) {
    const terms = [...new Set(c.blockedTerms.map(termOf))];
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
    const changes = validate(input);
    const why = reasonOf(reason);
    return this.prisma.$transaction(async (tx) => {
      // The row locked: two changes at once are applied one after the other, each with its own version.
      await tx.$queryRaw`SELECT 1 FROM platform_defaults WHERE id = 1 FOR UPDATE`;
      const current = await tx.platformDefaults.findUniqueOrThrow({ where: { id: 1 } });
      const changed = Object.fromEntries(
        Object.entries(changes).filter(([key, value]) => !sameValue(current[key as keyof Columns], value)),
      ) as Partial<Columns>;
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
        login: view.login,
      });
      const before = viewOf(current);
      /** What changed in one group, as { field: { from, to } }. */
      const diff = (was: Record<string, unknown>, now: Record<string, unknown>) =>
        Object.fromEntries(
          Object.keys(now)
            .filter((key) => !sameValue(was[key], now[key]))
            .map((key) => [key, { from: was[key], to: now[key] }]),
        );
      const login = diff(before.login, view.login);
      await recordAudit(tx, identity, 'defaults.updated', { type: 'defaults', id: 'platform' }, why, {
        version: view.version,
        chat: diff(before.chat, view.chat),
        ...(Object.keys(login).length > 0 ? { login } : {}),
      });
      return view;
    });
  }
}
