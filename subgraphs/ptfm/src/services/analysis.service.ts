import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import { oncePerEvent } from '../../../../kernel/bus/once';
import type { EventOf } from '../../../../kernel/events';
import type { Prisma, PrismaClient } from '../data/prisma/client';

/** What a case is about: many sign-ups from one address block, or a follow wave on one channel. */
export type CaseKind = 'signup_burst' | 'follow_burst';

export interface AnalysisThresholds {
  /** Sign-ups from one address block within an hour that open a case. */
  signupsPerHour: number;
  /** Follows of one channel within a minute that open a case. */
  followsPerMinute: number;
}

/** The accounts a case keeps for staff to act on; a wave beyond it is told by its count. */
const MAX_CASE_USERS = 100;

type Outcome = 'counted' | 'opened' | 'updated' | 'skipped' | 'duplicate';

/**
 * Account analysis: counts signals from the events the platform emits in windows (PostgreSQL does the counting, so
 * every instance of the worker sees the same counts), and past a threshold opens a case in the trust and safety
 * queue (CasesService). A burst keeps one case open per (kind, subject); its later signals raise that case's score.
 */
export class AnalysisService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly thresholds: AnalysisThresholds,
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
}
