import { randomUUID } from 'node:crypto';
import { createScratchDatabase } from '../../../../test/support/database';
import { identities } from '../../../../test/support/identities';
import { connectUserDb, type UserDb } from '../data/db';
import { clientSecretMatches, DeveloperAppsService } from './developer-apps.service';

/** Developer apps against a real PostgreSQL. */
describe(DeveloperAppsService.name, () => {
  let db: UserDb;
  let drop: () => Promise<void>;
  let service: DeveloperAppsService;

  beforeAll(async () => {
    const database = await createScratchDatabase();
    drop = database.drop;
    db = connectUserDb(database.url, 4);
    service = new DeveloperAppsService(db.prisma);
  });

  afterAll(async () => {
    await db?.close();
    await drop?.();
  });

  const newOwner = async (verified = true) => {
    const id = randomUUID();
    await db.prisma.user.create({
      data: {
        id,
        login: `dev_${id.slice(0, 8)}`,
        email: `${id}@example.test`,
        displayName: 'Dev',
        passwordHash: 'x',
        emailVerifiedAt: verified ? new Date() : null,
      },
    });
    return id;
  };

  it('stores only a hash of the secret, shown once, and rotates it', async () => {
    const owner = await newOwner();
    const { app, clientSecret } = await service.create(identities.session(owner), {
      name: 'App',
      redirectUris: ['https://a.example/cb'],
      clientType: 'confidential',
    });
    expect(clientSecret).toEqual(expect.any(String));
    expect(app.secretHash).not.toContain(clientSecret);
    expect(clientSecretMatches(app.secretHash!, clientSecret!)).toBe(true);

    const rotated = await service.rotateSecret(identities.session(owner), app.clientId);
    expect(clientSecretMatches(rotated.app.secretHash!, clientSecret!)).toBe(false);
    expect(clientSecretMatches(rotated.app.secretHash!, rotated.clientSecret!)).toBe(true);
    expect(rotated.app.secretRotatedAt).toBeInstanceOf(Date);
    expect(await service.clientMetadata(app.clientId)).toMatchObject({
      token_endpoint_auth_method: 'client_secret_basic',
      redirect_uris: ['https://a.example/cb'],
    });
  });

  it('gives a public client no secret and no client credentials grant', async () => {
    const owner = await newOwner();
    const { app, clientSecret } = await service.create(identities.session(owner), {
      name: 'TV',
      redirectUris: ['http://127.0.0.1:9000/cb'],
      clientType: 'public',
    });
    expect(clientSecret).toBeNull();
    const metadata = await service.clientMetadata(app.clientId);
    expect(metadata).toMatchObject({ token_endpoint_auth_method: 'none' });
    expect(metadata?.grant_types).not.toContain('client_credentials');
    await expect(service.rotateSecret(identities.session(owner), app.clientId)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('refuses bad fields, naming each', async () => {
    const owner = await newOwner();
    await expect(
      service.create(identities.session(owner), {
        name: '',
        redirectUris: ['http://evil.example/cb', 'https://a.example/cb#frag', 'not a uri'],
        clientType: 'public',
      }),
    ).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      fields: [{ field: 'name' }, { field: 'redirectUris.0' }, { field: 'redirectUris.1' }, { field: 'redirectUris.2' }],
    });
  });

  it('shows and changes an app for its owner only, and never for an app token', async () => {
    const owner = await newOwner();
    const stranger = await newOwner();
    const { app } = await service.create(identities.session(owner), {
      name: 'Mine',
      redirectUris: ['https://a.example/cb'],
      clientType: 'confidential',
    });
    expect(await service.get(identities.session(stranger), app.clientId)).toBeNull();
    expect(await service.list(identities.session(stranger))).toEqual([]);
    await expect(service.rotateSecret(identities.session(stranger), app.clientId)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(service.delete(identities.session(stranger), app.clientId)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(service.list(identities.oauth(owner, []))).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(service.list(identities.anonymous())).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });

    await service.delete(identities.session(owner), app.clientId);
    expect(await service.clientMetadata(app.clientId)).toBeUndefined();
  });

  it('refuses an app to an account that has not verified its email address, whatever its token says', async () => {
    const owner = await newOwner(false);
    const input = { name: 'App', redirectUris: ['https://a.example/cb'], clientType: 'public' as const };
    await expect(service.create(identities.session(owner, true), input)).rejects.toMatchObject({ code: 'USER_EMAIL_NOT_VERIFIED' });
    expect(await db.prisma.developerApp.count({ where: { ownerId: owner } })).toBe(0);
    await db.prisma.user.update({ where: { id: owner }, data: { emailVerifiedAt: new Date() } });
    await expect(service.create(identities.session(owner, false), input)).resolves.toMatchObject({ app: { ownerId: owner } });
  });
});
