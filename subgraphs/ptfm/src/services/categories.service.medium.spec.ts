import { randomUUID } from 'node:crypto';
import { DomainError } from '../../../../kernel/errors';
import type { Identity } from '../../../../kernel/identity';
import { identities } from '../../../../test/support/identities';
import { startPtfmDb } from '../../../../test/support/ptfm';
import { CategoriesService, slugOf } from './categories.service';

/** The category catalogue against a real PostgreSQL: staff writes, each audited and published once. */
describe(CategoriesService.name, () => {
  let ptfm: Awaited<ReturnType<typeof startPtfmDb>>;
  let categories: CategoriesService;
  const manager = () => identities.staff(randomUUID(), ['categories:manage']);
  const art = (name: string) => `https://images.example/${name}.jpg`;

  beforeAll(async () => {
    ptfm = await startPtfmDb();
    categories = new CategoriesService(ptfm.db.prisma, 900);
  });

  afterAll(() => ptfm?.close());

  const outboxOf = (categoryId: string) =>
    ptfm.db.pool
      .query<{ topic: string; payload: { data: Record<string, unknown> } }>(
        'SELECT topic, payload FROM outbox WHERE key = $1 ORDER BY created_at',
        [categoryId],
      )
      .then((r) => r.rows);
  const auditOf = (categoryId: string) =>
    ptfm.db.pool
      .query<{ actor_id: string; action: string; reason: string | null; request_id: string }>(
        'SELECT actor_id, action, reason, request_id FROM audit_record WHERE target_id = $1 ORDER BY at',
        [categoryId],
      )
      .then((r) => r.rows);

  it('should create and change a category, each write audited with its actor and reason and published once', async () => {
    const staff = manager();
    const created = await categories.create(staff, { name: '  Just Chatting ', boxArtUrl: art('jc') }, 'launch');
    expect(created).toMatchObject({ name: 'Just Chatting', slug: expect.stringMatching(/^just-chatting/), boxArtUrl: art('jc') });

    const renamed = await categories.update(staff, created.id, { name: 'Just Talking', slug: `just-talking-${created.id.slice(0, 8)}` });
    expect(renamed).toMatchObject({ id: created.id, name: 'Just Talking', boxArtUrl: art('jc') });
    expect(await categories.update(staff, created.id, { name: 'Just Talking' })).toMatchObject({ updatedAt: renamed.updatedAt });

    expect((await outboxOf(created.id)).map((e) => [e.topic, e.payload.data.name])).toEqual([
      ['ptfm.category.created.v1', 'Just Chatting'],
      ['ptfm.category.updated.v1', 'Just Talking'],
    ]);
    expect(await auditOf(created.id)).toEqual([
      { actor_id: staff.userId, action: 'category.created', reason: 'launch', request_id: staff.requestId },
      { actor_id: staff.userId, action: 'category.updated', reason: null, request_id: staff.requestId },
    ]);
    // Each record also goes to the staff audit log (the user domain's), under the same id.
    const published = await ptfm.db.pool.query<{ key: string; payload: { data: Record<string, unknown> } }>(
      `SELECT key, payload FROM outbox WHERE topic = 'ptfm.audit.recorded.v1' AND payload->'data'->>'targetId' = $1 ORDER BY created_at`,
      [created.id],
    );
    const ids = await ptfm.db.pool.query<{ id: string }>('SELECT id FROM audit_record WHERE target_id = $1 ORDER BY at', [created.id]);
    expect(published.rows.map((r) => [r.key, r.payload.data.recordId, r.payload.data.action, r.payload.data.actorId])).toEqual(
      ids.rows.map((r, i) => [r.id, r.id, i === 0 ? 'category.created' : 'category.updated', staff.userId]),
    );
    expect(await categories.get(created.id)).toMatchObject({ name: 'Just Talking' });
  });

  it('should refuse staff without the permission or a fresh second factor, and every other caller', async () => {
    const input = { name: 'Chess', boxArtUrl: art('chess') };
    const refusals: [Identity, string][] = [
      [identities.staff(randomUUID(), ['users:read']), 'FORBIDDEN'],
      [identities.staff(randomUUID(), ['categories:manage'], 901), 'STAFF_MFA_REQUIRED'],
      [identities.session(), 'FORBIDDEN'],
      [identities.anonymous(), 'FORBIDDEN'],
    ];
    for (const [caller, code] of refusals) await expect(categories.create(caller, input)).rejects.toMatchObject({ code });
  });

  it('should refuse invalid fields all at once, a taken slug, and an unknown id, writing nothing', async () => {
    const staff = manager();
    const before = await ptfm.db.pool.query('SELECT count(*)::int AS n FROM outbox');
    await expect(
      categories.create(staff, { name: ' ', slug: 'Not A Slug', boxArtUrl: 'http://insecure.example/a.jpg' }),
    ).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      fields: [
        { field: 'name', message: expect.any(String) },
        { field: 'slug', message: expect.any(String) },
        { field: 'boxArtUrl', message: expect.any(String) },
      ],
    });
    await expect(categories.create(staff, { name: 'x'.repeat(51), boxArtUrl: art('x') })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    const slug = `taken-${randomUUID().slice(0, 8)}`;
    await categories.create(staff, { name: 'Taken', slug, boxArtUrl: art('t') });
    await expect(categories.create(staff, { name: 'Other', slug, boxArtUrl: art('o') })).rejects.toMatchObject({
      code: 'PTFM_CATEGORY_SLUG_TAKEN',
    });
    await expect(categories.update(staff, randomUUID(), { name: 'Nobody' })).rejects.toMatchObject({ code: 'PTFM_CATEGORY_NOT_FOUND' });
    await expect(categories.update(staff, 'not-a-uuid', { name: 'Nobody' })).rejects.toBeInstanceOf(DomainError);
    const after = await ptfm.db.pool.query('SELECT count(*)::int AS n FROM outbox');
    // The one category created, and its audit record.
    expect(after.rows[0].n - before.rows[0].n).toBe(2);
  });

  it('should page the catalogue newest first, and seed only what is missing', async () => {
    const names = [`Seeded ${randomUUID().slice(0, 6)}`, `Seeded ${randomUUID().slice(0, 6)}`];
    const entries = names.map((name) => ({ name, boxArtUrl: art(slugOf(name)) }));
    expect(await categories.seed(entries)).toBe(2);
    expect(await categories.seed(entries)).toBe(0);
    const first = await categories.list(1, null);
    expect(first.nodes.map((c) => c.name)).toEqual([names[1]]);
    const second = await categories.list(1, first.pageInfo.endCursor);
    expect(second.nodes.map((c) => c.name)).toEqual([names[0]]);
    expect(first.totalCount).toBe(second.totalCount);
  });

  it('should keep the audit log append-only', async () => {
    const created = await categories.create(manager(), { name: 'Art', slug: `art-${randomUUID().slice(0, 8)}`, boxArtUrl: art('art') });
    await expect(ptfm.db.pool.query('DELETE FROM audit_record WHERE target_id = $1', [created.id])).rejects.toThrow(/append-only/);
    await expect(ptfm.db.pool.query(`UPDATE audit_record SET reason = 'x' WHERE target_id = $1`, [created.id])).rejects.toThrow(
      /append-only/,
    );
  });

  it('should make slugs of names', () => {
    expect(slugOf('Pokémon Scarlet & Violet')).toBe('pokemon-scarlet-violet');
    expect(slugOf('  Just   Chatting!! ')).toBe('just-chatting');
  });
});
