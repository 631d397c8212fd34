import { requirePermission } from '../../../../kernel/access';
import { DomainError } from '../../../../kernel/errors';
import type { Identity } from '../../../../kernel/identity';
import { isUuid } from '../../../../kernel/ids';
import LIMITS from '../../limits.json';
import type { PrismaClient, TrustCase } from '../data/prisma/client';
import { type Actor, recordAudit } from './audit';

const { 'staff.reason': REASON } = LIMITS;
const MAX_PAGE = 100;

export type CaseStatus = 'open' | 'assigned' | 'resolved';

/**
 * The trust and safety queue of account analysis: staff holding `cases:manage` list, assign and resolve cases,
 * audited. Suspending an account of a case is the user domain's SuspendUser (`users:suspend`), which staff call for
 * it (the case lists the accounts) before resolving the case as `suspended`.
 */
export class CasesService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly mfaMaxAgeSeconds: number,
  ) {}

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
