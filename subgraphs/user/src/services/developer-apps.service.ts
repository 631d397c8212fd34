import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { DomainError, type FieldProblem } from '../../../../kernel/errors';
import type { Identity } from '../../../../kernel/identity';
import { actingUser } from '../../../../kernel/access';
import { SCOPE_NAMES } from '../../../../kernel/scopes';
import LIMITS from '../../limits.json';
import type { DeveloperApp, PrismaClient } from '../data/prisma/client';

export type ClientType = 'confidential' | 'public';

export interface DeveloperAppInput {
  name: string;
  redirectUris: string[];
  clientType: ClientType;
}

/** An app with the secret it was just given: the only moment the secret is ever readable. */
export interface IssuedApp {
  app: DeveloperApp;
  clientSecret: string | null;
}

/** An app as its owner sees it: with the secret only in the answer that issued it. */
export type DeveloperAppView = DeveloperApp & { clientSecret?: string | null };

/** What oidc-provider reads as a client's metadata. */
export type ClientMetadata = {
  client_id: string;
  client_name: string;
  client_secret?: string;
  redirect_uris: string[];
  grant_types: string[];
  response_types: 'code'[];
  token_endpoint_auth_method: 'client_secret_basic' | 'client_secret_post' | 'none';
  scope: string;
};

const { 'developerApp.name': NAME, 'developerApp.redirectUris': REDIRECT_URIS } = LIMITS;
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Secrets are 256 random bits, so a fast hash is as good as a password KDF here (nothing to guess) and keeps client
 * authentication cheap on every token request.
 */
export const hashClientSecret = (secret: string) => createHash('sha256').update(secret).digest('base64url');

export function clientSecretMatches(storedHash: string, presented: string): boolean {
  const expected = Buffer.from(storedHash);
  const actual = Buffer.from(hashClientSecret(presented));
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/**
 * Third-party developers' OAuth clients. Only our own apps (a session) manage them, and only their owner sees or
 * changes one: someone else's app is answered as not found, so its existence does not leak either.
 */
export class DeveloperAppsService {
  constructor(private readonly prisma: PrismaClient) {}

  async create(identity: Identity, input: DeveloperAppInput): Promise<IssuedApp> {
    const ownerId = owner(identity);
    const fields = validate(input);
    // Read here rather than from the token: a developer who just verified need not refresh their session first.
    const account = await this.prisma.user.findUnique({ where: { id: ownerId }, select: { emailVerifiedAt: true } });
    if (!account?.emailVerifiedAt) {
      throw new DomainError('USER_EMAIL_NOT_VERIFIED', 'verify your email address before registering an app');
    }
    const clientSecret = fields.clientType === 'confidential' ? newSecret() : null;
    const app = await this.prisma.developerApp.create({
      data: {
        clientId: randomBytes(15).toString('hex'),
        ownerId,
        name: fields.name,
        redirectUris: fields.redirectUris,
        clientType: fields.clientType,
        secretHash: clientSecret ? hashClientSecret(clientSecret) : null,
      },
    });
    return { app, clientSecret };
  }

  async list(identity: Identity): Promise<DeveloperApp[]> {
    return this.prisma.developerApp.findMany({ where: { ownerId: owner(identity) }, orderBy: { createdAt: 'asc' } });
  }

  async get(identity: Identity, clientId: string): Promise<DeveloperApp | null> {
    const app = await this.prisma.developerApp.findUnique({ where: { clientId } });
    return app && app.ownerId === owner(identity) ? app : null;
  }

  /** Deletes the app and every code, token and grant issued to it. */
  async delete(identity: Identity, clientId: string): Promise<void> {
    await this.mine(identity, clientId);
    await this.prisma.$transaction([
      this.prisma.oAuthRecord.deleteMany({ where: { payload: { path: ['clientId'], equals: clientId } } }),
      this.prisma.developerApp.delete({ where: { clientId } }),
    ]);
  }

  /** A new secret replaces the old one at once; tokens already issued stay valid until they expire or are revoked. */
  async rotateSecret(identity: Identity, clientId: string): Promise<IssuedApp> {
    const existing = await this.mine(identity, clientId);
    if (existing.clientType !== 'confidential') {
      throw new DomainError('VALIDATION_FAILED', 'a public client has no secret', {
        fields: [{ field: 'clientId', message: 'is a public client' }],
      });
    }
    const clientSecret = newSecret();
    const app = await this.prisma.developerApp.update({
      where: { clientId },
      data: { secretHash: hashClientSecret(clientSecret), secretRotatedAt: new Date() },
    });
    return { app, clientSecret };
  }

  /**
   * The app as the authorization server's client. The stored hash stands in for the secret; the server compares a
   * presented secret by hashing it (see the provider's client secret check).
   */
  async clientMetadata(clientId: string): Promise<ClientMetadata | undefined> {
    const app = await this.prisma.developerApp.findUnique({ where: { clientId } });
    if (!app) return undefined;
    const secretHash = app.clientType === 'confidential' ? app.secretHash : null;
    return {
      client_id: app.clientId,
      client_name: app.name,
      redirect_uris: app.redirectUris,
      response_types: ['code' as const],
      // An app token (client credentials) needs a secret to prove which app asks.
      grant_types: secretHash
        ? ['authorization_code', 'refresh_token', 'client_credentials', 'urn:ietf:params:oauth:grant-type:device_code']
        : ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
      scope: ['openid', ...SCOPE_NAMES].join(' '),
      ...(secretHash
        ? { client_secret: secretHash, token_endpoint_auth_method: 'client_secret_basic' as const }
        : { token_endpoint_auth_method: 'none' as const }),
    };
  }

  private async mine(identity: Identity, clientId: string): Promise<DeveloperApp> {
    const app = await this.get(identity, clientId);
    if (!app) throw new DomainError('NOT_FOUND', 'no such app');
    return app;
  }
}

/** Apps are managed from our own apps only: an app token must not register or rotate apps. */
function owner(identity: Identity): string {
  const userId = actingUser(identity);
  if (identity.kind !== 'session') throw new DomainError('FORBIDDEN', 'developer apps are managed from a first-party session');
  return userId;
}

const newSecret = () => randomBytes(32).toString('base64url');

function validate(input: DeveloperAppInput): DeveloperAppInput {
  const problems: FieldProblem[] = [];
  const name = input.name.trim();
  if (name.length < NAME.minLength || name.length > NAME.maxLength)
    problems.push({ field: 'name', message: `must be ${NAME.minLength}–${NAME.maxLength} characters` });
  if (input.clientType !== 'confidential' && input.clientType !== 'public') {
    problems.push({ field: 'clientType', message: 'must be confidential or public' });
  }
  if (input.redirectUris.length < REDIRECT_URIS.minItems || input.redirectUris.length > REDIRECT_URIS.maxItems) {
    problems.push({ field: 'redirectUris', message: `must list ${REDIRECT_URIS.minItems}–${REDIRECT_URIS.maxItems} URIs` });
  }
  input.redirectUris.forEach((uri, i) => {
    const problem = redirectUriProblem(uri);
    if (problem) problems.push({ field: `redirectUris.${i}`, message: problem });
  });
  if (problems.length) throw new DomainError('VALIDATION_FAILED', 'the app fields are invalid', { fields: problems });
  return { name, redirectUris: input.redirectUris, clientType: input.clientType };
}

/** https everywhere except a loopback address (a developer's machine, a native app's local listener). */
function redirectUriProblem(uri: string): string | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return 'must be an absolute URI';
  }
  if (url.hash || uri.includes('#')) return 'must not have a fragment';
  if (url.username || url.password) return 'must not carry credentials';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && LOOPBACK.has(url.hostname)) return undefined;
  return 'must be https (or http on a loopback address)';
}
