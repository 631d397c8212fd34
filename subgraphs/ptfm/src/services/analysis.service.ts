import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import { oncePerEvent } from '../../../../kernel/bus/once';
import type { EventOf } from '../../../../kernel/events';
import type { Prisma, PrismaClient } from '../data/prisma/client';
import type { ThrowawayDomains } from './throwaway-domains';

/**
 * What a case is about: many sign-ups from one address block, many throwaway-email sign-ups from one block (or of
 * one throwaway domain when the address is unknown), a follow wave on one channel, or a user whose chat messages
 * are refused again and again.
 */
export type CaseKind = 'signup_burst' | 'throwaway_email' | 'follow_burst' | 'chat_refusals';

export interface AnalysisThresholds {
  /** Sign-ups from one address block within an hour that open a case. */
  signupsPerHour: number;
  /** Follows of one channel within a minute that open a case. */
  followsPerMinute: number;
  /** Throwaway-email sign-ups from one address block (or of one throwaway domain) within an hour that open a case. */
  throwawaySignupsPerHour: number;
  /** Chat messages of one user refused within an hour that open a case. */
  chatRefusalsPerHour: number;
}

/** The accounts a case keeps for staff to act on; a wave beyond it is told by its count. */
const MAX_CASE_USERS = 100;

type Outcome = 'counted' | 'opened' | 'updated' | 'skipped' | 'duplicate';

/** The outcome of an event that gave several signals: the most telling one. */
const RANK: Outcome[] = ['opened', 'updated', 'counted', 'skipped'];
const mostTelling = (outcomes: Outcome[]): Outcome => RANK.find((o) => outcomes.includes(o)) ?? 'skipped';

/**
 * Account analysis: counts signals from the events the platform emits in windows (PostgreSQL does the counting, so
 * every instance of the worker sees the same counts), and past a threshold opens a case in the trust and safety
 * queue (CasesService). A burst keeps one case open per (kind, subject); its later signals raise that case's score.
 */
export class AnalysisService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly thresholds: AnalysisThresholds,
    private readonly throwaway: ThrowawayDomains,
  ) {}

  /**
   * A sign-up, counted per IPv4 /24 or IPv6 /64 over the last hour; and, when its email domain is a throwaway one,
   * counted again as a throwaway sign-up of that block (of that domain when the address is unknown), so that an
   * account's throwaway address is on record and many of them from one network add up to a case of their own.
   */
  async accountCreated(event: EventOf<'user.account.created.v1'>, group: string): Promise<Outcome> {
    const address = event.data.signupAddress && isIP(event.data.signupAddress) !== 0 ? event.data.signupAddress : undefined;
    const throwaway = this.throwaway.has(event.data.emailDomain) ? event.data.emailDomain : undefined;
    if (!address && !throwaway) return 'skipped';
    return oncePerEvent(this.prisma, group, event.id, async (tx) => {
      const signal = { userId: event.data.userId, eventId: event.id, at: new Date(event.data.createdAt), windowMs: 3600_000 };
      const outcomes: Outcome[] = [];
      let block: string | undefined;
      if (address) {
        [{ block }] = await tx.$queryRaw<{ block: string }[]>`
          SELECT network(set_masklen(${address}::inet, CASE family(${address}::inet) WHEN 4 THEN 24 ELSE 64 END))::text AS block`;
        outcomes.push(
          await this.observe(tx, {
            ...signal,
            kind: 'signup_burst',
            subjectType: 'address',
            subject: block,
            threshold: this.thresholds.signupsPerHour,
          }),
        );
      }
      if (throwaway) {
        const subject = block ? { subjectType: 'address', subject: block } : { subjectType: 'email_domain', subject: throwaway };
        outcomes.push(
          await this.observe(tx, { ...signal, ...subject, kind: 'throwaway_email', threshold: this.thresholds.throwawaySignupsPerHour }),
        );
      }
      return mostTelling(outcomes);
    });
  }

  /**
   * A user's refused chat messages of one window (chat.messages.refused.v1, which sums them), added up per user over
   * the hour before the window's end.
   */
  async chatMessagesRefused(event: EventOf<'chat.messages.refused.v1'>, group: string): Promise<Outcome> {
    return oncePerEvent(this.prisma, group, event.id, (tx) =>
      this.observe(tx, {
        kind: 'chat_refusals',
        subjectType: 'user',
        subject: event.data.userId,
        userId: event.data.userId,
        eventId: event.id,
        at: new Date(event.data.windowEnd),
        windowMs: 3600_000,
        threshold: this.thresholds.chatRefusalsPerHour,
        weight: event.data.count,
      }),
    );
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
      /** What the signal adds to the count: 1 but for a sum such as a window of refused messages. */
      weight?: number;
    },
  ): Promise<Outcome> {
    const weight = s.weight ?? 1;
    // Signals of one subject are counted one after the other: concurrent ones would each miss the others' rows.
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`${s.kind}:${s.subject}`}, 0))`;
    await tx.analysisSignal.create({ data: { kind: s.kind, subject: s.subject, userId: s.userId, eventId: s.eventId, at: s.at, weight } });
    const since = new Date(s.at.getTime() - s.windowMs);
    const [{ count }] = await tx.$queryRaw<{ count: number }[]>`
      SELECT coalesce(sum(weight), 0)::int AS count FROM analysis_signal
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
        signal_count = trust_case.signal_count + ${weight},
        user_ids = CASE WHEN cardinality(trust_case.user_ids) < ${MAX_CASE_USERS} AND NOT ${s.userId}::uuid = ANY(trust_case.user_ids)
                        THEN array_append(trust_case.user_ids, ${s.userId}::uuid) ELSE trust_case.user_ids END,
        last_signal_at = GREATEST(trust_case.last_signal_at, EXCLUDED.last_signal_at)
      RETURNING (xmax = 0) AS inserted`;
    return row.inserted ? 'opened' : 'updated';
  }
}
