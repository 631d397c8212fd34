import { randomUUID } from 'node:crypto';
import { requirePermission } from '../../../../kernel/access';
import { DomainError, type FieldProblem } from '../../../../kernel/errors';
import type { Identity } from '../../../../kernel/identity';
import { isUuid } from '../../../../kernel/ids';
import { decodeCursor, pageSize, rowsAfter, toPage, type Page } from '../../../../kernel/paging';
import LIMITS from '../../limits.json';
import { recordEvent, type Category } from '../data/db';
import { Prisma, type PrismaClient } from '../data/prisma/client';
import { type Actor as StaffActor, recordAudit } from './audit';

const { 'category.name': NAME, 'category.slug': SLUG, 'category.boxArtUrl': BOX_ART, 'staff.reason': REASON } = LIMITS;
const SLUG_PATTERN = new RegExp(SLUG.pattern);

export interface CategoryInput {
  name?: string | null;
  slug?: string | null;
  boxArtUrl?: string | null;
}

/** Who did it, for the audit record: the staff member and their request; the seed acts as nobody. */
type Actor = StaffActor | null;

/** The URL form of a name: NFKD without marks, lower case, runs of anything else one dash. */
export function slugOf(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, SLUG.maxLength)
    .replace(/-+$/, '');
}

function isHttpsUrl(value: string): boolean {
  try {
    return new URL(value).protocol === 'https:';
  } catch {
    return false;
  }
}

/** The fields given, checked against the domain's limits; every problem at once. */
function validate(input: CategoryInput, creating: boolean): { name?: string; slug?: string; boxArtUrl?: string } {
  const problems: FieldProblem[] = [];
  const out: { name?: string; slug?: string; boxArtUrl?: string } = {};
  if (input.name != null || creating) {
    const name = (input.name ?? '').normalize('NFKC').trim();
    if (name.length < NAME.minLength || name.length > NAME.maxLength)
      problems.push({ field: 'name', message: `must be ${NAME.minLength}–${NAME.maxLength} characters` });
    else out.name = name;
  }
  if (input.slug != null || (creating && out.name)) {
    const slug = input.slug ?? slugOf(out.name ?? '');
    if (slug.length > SLUG.maxLength || !SLUG_PATTERN.test(slug))
      problems.push({ field: 'slug', message: `must be lower-case letters, digits and single dashes, at most ${SLUG.maxLength}` });
    else out.slug = slug;
  }
  if (input.boxArtUrl != null || creating) {
    const url = input.boxArtUrl ?? '';
    if (url.length > BOX_ART.maxLength || !isHttpsUrl(url))
      problems.push({ field: 'boxArtUrl', message: `must be an https URL of at most ${BOX_ART.maxLength} characters` });
    else out.boxArtUrl = url;
  }
  if (problems.length > 0) throw new DomainError('VALIDATION_FAILED', 'the category is invalid', { fields: problems });
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

const slugTaken = (error: unknown) => error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002';

/**
 * The category catalogue: read by anyone, written by staff holding `categories:manage` with a fresh second factor.
 * Each write commits with its audit record and its event (the chnl domain keeps a copy of the catalogue from them).
 */
export class CategoriesService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly mfaMaxAgeSeconds: number,
  ) {}

  async get(id: string): Promise<Category | null> {
    if (!isUuid(id)) return null;
    return this.prisma.category.findUnique({ where: { id } });
  }

  async byIds(ids: readonly string[]): Promise<(Category | null)[]> {
    const valid = ids.filter(isUuid);
    const rows = valid.length > 0 ? await this.prisma.category.findMany({ where: { id: { in: valid } } }) : [];
    const byId = new Map(rows.map((row) => [row.id, row]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  /** Newest first. */
  async list(first: number | null | undefined, after: string | null | undefined): Promise<Page<Category>> {
    const take = pageSize(first, 20);
    const cursor = decodeCursor(after, 'after');
    const [totalCount, rows] = await Promise.all([
      this.prisma.category.count(),
      this.prisma.category.findMany({
        where: cursor ? rowsAfter(cursor, 'createdAt', 'id', 'desc') : {},
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        take: take + 1,
      }),
    ]);
    return toPage(rows, take, totalCount, (row) => ({ at: row.createdAt, id: row.id }));
  }

  async create(identity: Identity, input: CategoryInput, reason?: string | null): Promise<Category> {
    requirePermission(identity, 'categories:manage', this.mfaMaxAgeSeconds);
    return this.write(identity, null, validate(input, true), reasonOf(reason));
  }

  async update(identity: Identity, id: string, input: CategoryInput, reason?: string | null): Promise<Category> {
    requirePermission(identity, 'categories:manage', this.mfaMaxAgeSeconds);
    const changes = validate(input, false);
    const why = reasonOf(reason);
    if (!isUuid(id)) throw new DomainError('PTFM_CATEGORY_NOT_FOUND', 'no such category');
    return this.write(identity, id, changes, why);
  }

  /** `npm start`'s catalogue: each entry added unless its slug exists already; no one acts, so nothing is audited. */
  async seed(entries: { name: string; boxArtUrl: string }[]): Promise<number> {
    let added = 0;
    for (const entry of entries) {
      const fields = validate(entry, true);
      if (await this.prisma.category.findUnique({ where: { slug: fields.slug } })) continue;
      await this.write(null, null, fields, null);
      added++;
    }
    return added;
  }

  private async write(actor: Actor, id: string | null, fields: CategoryInput, reason: string | null): Promise<Category> {
    try {
      return await this.prisma.$transaction(async (tx) => {
        let row: Category;
        if (id === null) {
          row = await tx.category.create({
            data: { id: randomUUID(), name: fields.name as string, slug: fields.slug as string, boxArtUrl: fields.boxArtUrl as string },
          });
        } else {
          const existing = await tx.category.findUnique({ where: { id } });
          if (!existing) throw new DomainError('PTFM_CATEGORY_NOT_FOUND', 'no such category');
          const changed = Object.entries(fields).some(
            ([key, value]) => value !== undefined && existing[key as keyof CategoryInput] !== value,
          );
          if (!changed) return existing;
          row = await tx.category.update({ where: { id }, data: fields as Prisma.CategoryUpdateInput });
        }
        const data = {
          categoryId: row.id,
          name: row.name,
          slug: row.slug,
          boxArtUrl: row.boxArtUrl,
          changedAt: row.updatedAt.toISOString(),
        };
        if (id === null) await recordEvent(tx, 'ptfm.category.created.v1', row.id, data);
        else await recordEvent(tx, 'ptfm.category.updated.v1', row.id, data);
        if (actor)
          await recordAudit(
            tx,
            actor,
            id === null ? 'category.created' : 'category.updated',
            { type: 'category', id: row.id },
            reason,
            fields,
          );
        return row;
      });
    } catch (error) {
      if (slugTaken(error)) throw new DomainError('PTFM_CATEGORY_SLUG_TAKEN', 'another category has that slug');
      throw error;
    }
  }
}
