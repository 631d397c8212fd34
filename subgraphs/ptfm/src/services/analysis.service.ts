import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import { requirePermission } from '../../../../kernel/access';
import { oncePerEvent } from '../../../../kernel/bus/once';
import { DomainError } from '../../../../kernel/errors';
import type { EventOf } from '../../../../kernel/events';
import type { Identity } from '../../../../kernel/identity';
import { isUuid } from '../../../../kernel/ids';
import LIMITS from '../../limits.json';
import type { Prisma, PrismaClient, TrustCase } from '../data/prisma/client';
import { type Actor, recordAudit } from './audit';

const { 'staff.reason': REASON } = LIMITS;

/** What a case is about: many sign-ups from one address block, or a follow wave on one channel. */
export type CaseKind = 'signup_burst' | 'follow_burst';
export type CaseStatus = 'open' | 'assigned' | 'resolved';

export interface AnalysisThresholds {
  /** Sign-ups from one address block within an hour that open a case. */
  signupsPerHour: number;
  /** Follows of one channel within a minute that open a case. */
  followsPerMinute: number;
}

/** The accounts a case keeps for staff to act on; a wave beyond it is told by its count. */
const MAX_CASE_USERS = 100;
const MAX_PAGE = 100;

type Outcome = 'counted' | 'opened' | 'updated' | 'skipped' | 'duplicate';

/**
 * Account analysis: counts signals from the events the platform emits in windows (PostgreSQL does the counting, so
 * every instance of the worker sees the same counts), and past a threshold opens a case in the trust and safety
 * queue. A burst keeps one case open per (kind, subject); its later signals raise that case's score. Staff holding
 * `cases:manage` list, assign and resolve cases, audited; suspending an account of a case is the user domain's
 * SuspendUser, which staff call for it (the case lists the accounts) before resolving the case as `suspended`.
 */
export class AnalysisService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly thresholds: AnalysisThresholds,
    private readonly mfaMaxAgeSeconds = 15 * 60,
  ) {}

  /** A sign-up, counted per IPv4 /24 or IPv6 /64 over the last hour; one without an address counts nowhere. */
  async accountCreated(event: EventOf<'user.account.created.v1'>, group: string): Promise<Outcome> {
    const address = event.data.signupAddress;
    if (!address || isIP(address) === 0) return 'skipped';
    return oncePerEvent(this.prisma, group, event.id, async (tx) => {
      const [{ block }] = await tx.$queryRaw<{ block: string }[]>`
        SELECT network(set_masklen(${address}::inet, CASE family(${address}::inet) WHEN 4 THEN 24 ELSE 64 END))::text AS block`;
      return this.observe(tx, {
        kind: 'signup_burst',
        subjectType: 'address',
        subject: block,
        userId: event.data.userId,
        eventId: event.id,
        at: new Date(event.data.createdAt),
        windowMs: 3600_000,
        threshold: this.thresholds.signupsPerHour,
      });
    });
  }

  /** A follow, counted per channel over the last minute. */
  async followCreated(event: EventOf<'chnl.follow.created.v1'>, group: string): Promise<Outcome> {
    return oncePerEvent(this.prisma, group, event.id, (tx) =>
      this.observe(tx, {
        kind: 'follow_burst',
        subjectType: 'channel',
        subject: event.data.channelId,
        userId: event.data.userId,
        eventId: event.id,
        at: new Date(event.data.followedAt),
        windowMs: 60_000,
        threshold: this.thresholds.followsPerMinute,
      }),
    );
  }

  /**
   * Records the signal and counts the window ending at it (the event's own time, so a replay counts as the original
   * did), with the later signals already seen: the events of one burst come out of order across partitions. At the threshold a case opens; with one already open, the unique partial index turns the insert into an
   * update of it, so a burst makes one case.
   */
  private async observe(
    tx: Prisma.TransactionClient,
    s: {
      kind: CaseKind;
      subjectType: string;
      subject: string;
      userId: string;
      eventId: string;
      at: Date;
      windowMs: number;
      threshold: number;
    },
  ): Promise<Outcome> {
    // Signals of one subject are counted one after the other: concurrent ones would each miss the others' rows.
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`${s.kind}:${s.subject}`}, 0))`;
    await tx.analysisSignal.create({ data: { kind: s.kind, subject: s.subject, userId: s.userId, eventId: s.eventId, at: s.at } });
    const since = new Date(s.at.getTime() - s.windowMs);
    const [{ count }] = await tx.$queryRaw<{ count: number }[]>`
      SELECT count(*)::int AS count FROM analysis_signal
      WHERE kind = ${s.kind} AND subject = ${s.subject} AND at > ${since}`;
    if (count < s.threshold) return 'counted';
    const [row] = await tx.$queryRaw<{ inserted: boolean }[]>`
      INSERT INTO trust_case (id, kind, subject_type, subject, score, signal_count, user_ids, last_signal_at)
      SELECT ${randomUUID()}::uuid, ${s.kind}, ${s.subjectType}, ${s.subject}, ${count}, ${count},
             (SELECT array_agg(DISTINCT user_id) FROM (
                SELECT user_id FROM analysis_signal
                WHERE kind = ${s.kind} AND subject = ${s.subject} AND at > ${since}
                ORDER BY at LIMIT ${MAX_CASE_USERS}) first_ones),
             ${s.at}
      ON CONFLICT (kind, subject) WHERE status <> 'resolved' DO UPDATE SET
        score = GREATEST(trust_case.score, EXCLUDED.score),
        signal_count = trust_case.signal_count + 1,
        user_ids = CASE WHEN cardinality(trust_case.user_ids) < ${MAX_CASE_USERS} AND NOT ${s.userId}::uuid = ANY(trust_case.user_ids)
                        THEN array_append(trust_case.user_ids, ${s.userId}::uuid) ELSE trust_case.user_ids END,
        last_signal_at = GREATEST(trust_case.last_signal_at, EXCLUDED.last_signal_at)
      RETURNING (xmax = 0) AS inserted`;
    return row.inserted ? 'opened' : 'updated';
  }

  /** The queue: open cases first (the oldest first), then assigned, then resolved (the newest first). */
  async list(identity: Identity, status: CaseStatus | null | undefined, first: number | null | undefined): Promise<TrustCase[]> {
    requirePermission(identity, 'cases:manage', this.mfaMaxAgeSeconds);
    const take = Math.min(Math.max(first ?? 50, 1), MAX_PAGE);
    return this.prisma.$queryRaw<TrustCase[]>`
      SELECT id, kind, subject_type AS "subjectType", subject, status, score, signal_count AS "signalCount",
             coalesce(user_ids, '{}')::text[] AS "userIds", opened_at AS "openedAt", last_signal_at AS "lastSignalAt",
             assignee_id::text AS "assigneeId", resolved_at AS "resolvedAt", resolution
      FROM trust_case
      WHERE ${status ?? null}::text IS NULL OR status = ${status ?? null}::text
      ORDER BY CASE status WHEN 'open' THEN 0 WHEN 'assigned' THEN 1 ELSE 2 END,
               CASE WHEN status = 'resolved' THEN -extract(epoch FROM resolved_at) ELSE extract(epoch FROM opened_at) END, id
      LIMIT ${take}`;
  }

  /** Gives the case to a staff member (the caller when none is named). */
  async assign(identity: Identity, caseId: string, assigneeId: string | null | undefined, reason?: string | null): Promise<TrustCase> {
    requirePermission(identity, 'cases:manage', this.mfaMaxAgeSeconds);
    const assignee = assigneeId ?? identity.userId;
    if (!isUuid(assignee))
      throw new DomainError('VALIDATION_FAILED', 'the assignee is invalid', {
        fields: [{ field: 'assigneeId', message: 'must be a user id' }],
      });
    return this.change(
      identity,
      caseId,
      'case.assign',
      reasonOf(reason),
      { status: 'assigned', assigneeId: assignee },
      { assigneeId: assignee },
    );
  }

  /** Closes the case; a later burst on the same subject opens a new one. */
  async resolve(identity: Identity, caseId: string, resolution: string, reason?: string | null): Promise<TrustCase> {
    requirePermission(identity, 'cases:manage', this.mfaMaxAgeSeconds);
    const outcome = resolution.trim();
    if (outcome.length < 1 || outcome.length > 64)
      throw new DomainError('VALIDATION_FAILED', 'the resolution is invalid', {
        fields: [{ field: 'resolution', message: 'must be 1–64 characters' }],
      });
    return this.change(
      identity,
      caseId,
      'case.resolve',
      reasonOf(reason),
      { status: 'resolved', resolution: outcome, resolvedAt: new Date() },
      { resolution: outcome },
    );
  }

  private async change(
    staff: Actor,
    caseId: string,
    action: string,
    reason: string | null,
    data: Partial<Pick<TrustCase, 'status' | 'assigneeId' | 'resolution' | 'resolvedAt'>>,
    details: object,
  ): Promise<TrustCase> {
    if (!isUuid(caseId)) throw new DomainError('PTFM_CASE_NOT_FOUND', 'no such case');
    return this.prisma.$transaction(async (tx) => {
      const [current] = await tx.$queryRaw<{ status: string }[]>`SELECT status FROM trust_case WHERE id = ${caseId}::uuid FOR UPDATE`;
      if (!current) throw new DomainError('PTFM_CASE_NOT_FOUND', 'no such case');
      if (current.status === 'resolved') throw new DomainError('PTFM_CASE_RESOLVED', 'the case is resolved');
      const row = await tx.trustCase.update({ where: { id: caseId }, data });
      await recordAudit(tx, staff, action, { type: 'case', id: caseId }, reason, details);
      return row;
    });
  }
}

function reasonOf(reason: string | null | undefined): string | null {
  const text = (reason ?? '').trim();
  if (text.length > REASON.maxLength)
    throw new DomainError('VALIDATION_FAILED', 'the reason is too long', {
      fields: [{ field: 'reason', message: `must be at most ${REASON.maxLength} characters` }],
    });
  return text || null;
}
