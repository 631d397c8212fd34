import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { createMemoryBus } from '../../kernel/bus/memory';
import { loadApiDocuments } from '../../rest-facade/src/app';
import { eventually } from '../support/eventually';
import { call, signUpAndLogIn } from '../support/platform';
import { registerApp, startOAuthPlatform, userTokens, type OAuthPlatform } from '../support/oauth';

type Schema = {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  minimum?: number;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
};
type Parameter = { $ref?: string; name: string; in: string; required?: boolean; schema?: Schema };
type Operation = {
  operationId: string;
  parameters?: Parameter[];
  requestBody?: { content: { 'application/json': { schema: Schema } } };
};
type Document = { name: string; openapi: any };

const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;
/** What names an object: an id, or a login (which names a user as surely as their id). */
const IDENTIFIER = /(^id$|Id$|^login$)/;

const resolve = <T>(doc: any, value: T & { $ref?: string }): T => {
  if (!value?.$ref) return value;
  return resolve(
    doc,
    value.$ref
      .slice(2)
      .split('/')
      .reduce((node: any, key: string) => node[key], doc),
  );
};

/** The routes of a document that name an object in their path, query or body, with what they take. */
function routesWithIdentifiers(doc: Document) {
  const routes: { api: string; method: string; path: string; operationId: string; parameters: Parameter[]; body?: Schema }[] = [];
  for (const [path, item] of Object.entries<any>(doc.openapi.paths)) {
    for (const method of METHODS) {
      const operation: Operation | undefined = item[method];
      if (!operation) continue;
      const parameters = [...(item.parameters ?? []), ...(operation.parameters ?? [])].map((p: Parameter) =>
        resolve<Parameter>(doc.openapi, p),
      );
      const body = operation.requestBody
        ? resolve<Schema>(doc.openapi, operation.requestBody.content['application/json'].schema)
        : undefined;
      const bodyFields = Object.keys(body?.properties ?? {});
      if (parameters.some((p) => IDENTIFIER.test(p.name)) || bodyFields.some((f) => IDENTIFIER.test(f))) {
        routes.push({ api: doc.name, method: method.toUpperCase(), path, operationId: operation.operationId, parameters, body });
      }
    }
  }
  return routes;
}

/** A value the schema accepts, so the request reaches the access check instead of failing validation. */
function sample(doc: any, raw: Schema): unknown {
  const schema = resolve<Schema>(doc, raw);
  if (schema.const !== undefined) return schema.const;
  if (schema.enum) return schema.enum[0];
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'object': {
      const props = schema.properties ?? {};
      const names = schema.required?.length ? schema.required : Object.keys(props).slice(0, 1);
      return Object.fromEntries(names.map((name) => [name, sample(doc, props[name])]));
    }
    case 'array':
      return [sample(doc, schema.items ?? { type: 'string' })];
    case 'integer':
    case 'number':
      return schema.minimum ?? 1;
    case 'boolean':
      return true;
    default:
      return schema.format === 'uri' ? 'https://probe.example.test/' : 'probe';
  }
}

/**
 * Object-level authorization (OWASP API1), generated from every user-facing OpenAPI document: each route that names
 * an object is called with the victim's identifiers and the attacker's token of the document's kind. Nothing that
 * is the victim's alone may come back, and nothing of theirs may change. Admin routes have their own
 * function-level matrix (staff tokens, permissions).
 */
describe('object-level authorization matrix', () => {
  let platform: OAuthPlatform;
  let victim: Awaited<ReturnType<typeof signUpAndLogIn>>;
  let attacker: Awaited<ReturnType<typeof signUpAndLogIn>>;
  let follower: Awaited<ReturnType<typeof signUpAndLogIn>>;
  let victimApp: { clientId: string; name: string };
  let victimChannel: { id: string; title: string };
  let victimRefreshToken: string;
  let victimMessageId: string;
  const victimTerm = `secretterm${randomBytes(3).toString('hex')}`;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    platform = await startOAuthPlatform(createMemoryBus());
    victim = await signUpAndLogIn(platform.api, 'victim');
    attacker = await signUpAndLogIn(platform.api, 'attacker');
    follower = await signUpAndLogIn(platform.api, 'fan');
    const name = `secret-app-${randomBytes(6).toString('hex')}`;
    const created = await call(`${platform.api}/developer/apps`, {
      method: 'POST',
      token: victim.token,
      body: { name, redirectUris: ['https://victim.example.test/cb'], clientType: 'confidential' },
    });
    victimApp = { clientId: created.body.clientId, name };
    victimRefreshToken = (
      await call(`${platform.api}/sessions`, { method: 'POST', body: { login: victim.login, password: victim.password } })
    ).body.refreshToken;
    const channelId = await eventually(
      async () => (await call(`${platform.api}/users/${victim.login}`)).body.channel?.id as string | undefined,
    );
    await eventually(async () => (await call(`${platform.api}/users/${follower.login}`)).body.channel?.id as string | undefined);
    await call(`${platform.api}/channels/${channelId}/follow`, { method: 'PUT', token: follower.token });
    victimChannel = { id: channelId, title: (await call(`${platform.api}/users/${victim.login}`)).body.channel.title };
    // The victim's chat: a message in their room (the room is made from the channel event) and a blocked term,
    // which only the broadcaster and their moderators may read.
    const chat = `${platform.api}/channels/${channelId}/chat`;
    victimMessageId = await eventually(async () => {
      const sent = await call(`${chat}/messages`, { method: 'POST', token: victim.token, body: { text: 'my own words' } });
      return sent.status === 201 ? (sent.body.id as string) : undefined;
    });
    expect((await call(`${chat}/blocked-terms`, { method: 'POST', token: victim.token, body: { term: victimTerm } })).status).toBe(201);

    // The attacker's tokens: a session of their own, and an app token of their own app with every scope.
    const attackerApp = await registerApp(platform.api, attacker.token);
    tokens.private = attacker.token;
    tokens.public = (
      await userTokens(
        platform.issuer,
        attackerApp,
        attacker.token,
        'user:read:email channel:manage:broadcast channel:read:followers chat:read chat:edit clips:edit moderator:manage:banned_users moderator:manage:chat_messages moderator:read:chatters',
      )
    ).access_token;
  }, 90_000);

  afterAll(async () => {
    await platform?.stop();
  });

  it('never answers the victim’s data to another user, on any route of any user-facing document', async () => {
    const documents = loadApiDocuments().filter((doc) => ['private', 'public'].includes(doc.name.split('.')[0]));
    expect(documents.map((d) => d.name)).toEqual(expect.arrayContaining(['private.v1', 'public.v1']));

    const identifiers: Record<string, string> = {
      id: victim.id,
      userId: victim.id,
      login: victim.login,
      channelId: victimChannel.id,
      clientId: victimApp.clientId,
      messageId: victimMessageId,
      replyToId: victimMessageId,
      // Store product ids an attacker would map onto the victim's channel.
      appleProductId: `com.victim.${victim.login}.tier1`,
      googleProductId: `victim_${victim.login}_tier1`,
      // The victim has no VOD, clip or notification in this platform: these routes must still refuse or answer nothing.
      vodId: randomUUID(),
      clipId: randomUUID(),
      upToId: randomUUID(),
      // The Stripe Connect account an attacker would have the victim's balance paid to.
      stripeAccountId: 'acct_attacker',
    };
    // What only the victim may see: their email, their apps, their tokens; and on the Public API, who follows them.
    const secrets = (api: string) => [
      `${victim.login}@example.test`,
      victimApp.name,
      victimApp.clientId,
      victimRefreshToken,
      victim.token,
      victimTerm,
      ...(api.startsWith('public.') ? [follower.login] : []),
    ];

    const exercised: string[] = [];
    const leaks: string[] = [];
    for (const doc of documents) {
      const token = tokens[doc.name.split('.')[0]];
      for (const route of routesWithIdentifiers(doc)) {
        const value = (name: string) => {
          const known = identifiers[name];
          if (!known) throw new Error(`${route.api} ${route.operationId}: no victim value for the identifier ${name}; add one here`);
          return known;
        };
        let path = route.path;
        const query = new URLSearchParams();
        for (const parameter of route.parameters) {
          if (parameter.in === 'path') path = path.replace(`{${parameter.name}}`, encodeURIComponent(value(parameter.name)));
          else if (parameter.in === 'query' && (IDENTIFIER.test(parameter.name) || parameter.required)) {
            query.set(
              parameter.name,
              IDENTIFIER.test(parameter.name) ? value(parameter.name) : String(sample(doc.openapi, parameter.schema ?? {})),
            );
          }
        }
        let body: Record<string, unknown> | undefined;
        if (route.body) {
          body = sample(doc.openapi, route.body) as Record<string, unknown>;
          for (const field of Object.keys(route.body.properties ?? {})) if (IDENTIFIER.test(field)) body[field] = value(field);
        }
        const url = `${platform.facade.url}${doc.openapi.servers![0].url}${path}${query.size ? `?${query}` : ''}`;
        const res = await call(url, { method: route.method, token, body });
        exercised.push(`${route.api} ${route.operationId}`);
        const answer = JSON.stringify(res.body ?? '');
        for (const secret of secrets(route.api)) {
          if (answer.includes(secret)) leaks.push(`${route.api} ${route.method} ${route.path} (${res.status}) answered ${secret}`);
        }
        expect(res.status).toBeLessThan(500);
      }
    }

    expect(leaks).toEqual([]);
    expect(exercised).toEqual(
      expect.arrayContaining([
        'private.v1 GetUserByLogin',
        'private.v1 UpdateChannel',
        'private.v1 GetDeveloperApp',
        'private.v1 DeleteDeveloperApp',
        'private.v1 RotateDeveloperAppSecret',
        'private.v1 DeleteChatMessage',
        'private.v1 BanChatUser',
        'private.v1 GetChatBlockedTerms',
        'private.v1 GetChannelPayouts',
        'private.v1 SetPayoutAccount',
        'public.v1 GetUsers',
        'public.v1 ModifyChannelInformation',
        'public.v1 GetChannelFollowers',
      ]),
    );

    // And nothing of the victim's changed.
    const channel = await call(`${platform.api}/users/${victim.login}`);
    expect(channel.body.channel).toMatchObject({ id: victimChannel.id, title: victimChannel.title });
    const app = await call(`${platform.api}/developer/apps/${victimApp.clientId}`, { token: victim.token });
    expect(app.status).toBe(200);
    expect(app.body).toMatchObject({ name: victimApp.name, secretRotatedAt: null });
    const followers = await call(`${platform.api}/channels/${victimChannel.id}/followers`);
    expect(followers.body.data.map((f: { user: { login: string } }) => f.user.login)).toEqual([follower.login]);
    const chat = `${platform.api}/channels/${victimChannel.id}/chat`;
    const history = await call(`${chat}/messages`, { token: victim.token });
    expect(history.body.data.map((m: { id: string }) => m.id)).toContain(victimMessageId);
    expect((await call(`${chat}/blocked-terms`, { token: victim.token })).body).toEqual([expect.objectContaining({ term: victimTerm })]);
    const db = new Client({ connectionString: platform.databaseUrl });
    await db.connect();
    try {
      const accounts = await db.query('SELECT stripe_account_id FROM paym.payout_account WHERE channel_id = $1', [victimChannel.id]);
      expect(accounts.rows).toEqual([]);
    } finally {
      await db.end();
    }
  });
});
