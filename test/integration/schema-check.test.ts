import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { buildManifest } from '../../kernel/persisted';
import { repoRoot } from '../../kernel/paths';
import { composeSupergraph } from '../../scripts/compose';
import { type Area, AREAS, type Finding, runSchemaCheck } from '../../scripts/schema-check/index';

/**
 * The schema check run in-process on a scratch copy of the repository whose first commit is the base: each case
 * changes the copy the way a team would, then expects the finding that change deserves. A breaking change is
 * checked in the areas it can reach, a compatible one in every contract area; the database and dependency-cruiser
 * areas are slow, so they run only where a case is about them.
 */
const databaseUrl = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/platform_test';
const CONTRACT_AREAS: Area[] = ['composition', 'graph', 'operations', 'rest', 'limits', 'events'];
/** What an SDL change can break. */
const GRAPH_AREAS: Area[] = ['composition', 'graph', 'operations'];
const SKIPPED = new Set(['node_modules', 'dist', '.data', '.git', '.cache']);

let root: string;
const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8' });
const path = (file: string) => join(root, file);
const read = (file: string) => readFileSync(path(file), 'utf8');
const write = (file: string, text: string) => writeFileSync(path(file), text);
// Whatever the machine's git configuration says, the scratch repository commits unsigned and runs no hooks.
const commit = (message: string) =>
  git(
    ...['-c', 'user.name=schema-check', '-c', 'user.email=schema-check@example.invalid'],
    ...['-c', 'commit.gpgsign=false', '-c', 'core.hooksPath=/dev/null', 'commit', '-q', '-am', message],
  );

function edit(file: string, from: string | RegExp, to: string): void {
  const text = read(file);
  const changed = text.replace(from, to);
  if (changed === text) throw new Error(`${file}: ${String(from)} not found`);
  write(file, changed);
}

const editJson = (file: string, change: (json: Record<string, any>) => void) => {
  const json = JSON.parse(read(file)) as Record<string, any>;
  change(json);
  write(file, `${JSON.stringify(json, null, 2)}\n`);
};

/** What `npm run compose` does after an SDL change. */
function recompose(): void {
  const { sdl, errors } = composeSupergraph(root);
  if (!sdl) throw new Error(errors.join('\n'));
  write('schema/supergraph.graphql', sdl);
}

const check = (areas: Area[] = CONTRACT_AREAS) => runSchemaCheck({ root, databaseUrl, areas });
const errorsOf = (findings: Finding[]) => findings.filter((f) => f.severity === 'error');

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'schema-check-'));
  cpSync(repoRoot, root, {
    recursive: true,
    filter: (source) => !SKIPPED.has(relative(repoRoot, source).split('/')[0]),
  });
  symlinkSync(join(repoRoot, 'node_modules'), path('node_modules'));
  git('init', '-q');
  write('.git/info/exclude', 'node_modules\n');
  git('add', '-A');
  commit('base');
});

afterEach(() => {
  git('reset', '-q', '--hard');
  git('clean', '-fdq');
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

// Each check composes the supergraph, diffs every document and replays migrations on a shadow database: tens of
// seconds on a loaded 2-core machine, more than jest's default budget. Not a speed assertion: only a bound.
jest.setTimeout(120_000);

describe('schema check', () => {
  it('should pass the tree as it is, reporting on every area', async () => {
    const findings = await check([...AREAS]);

    expect(errorsOf(findings)).toEqual([]);
    expect(new Set(findings.map((f) => f.area))).toEqual(new Set(AREAS));
  });

  describe('fails', () => {
    it('should fail a realtime subscription that the realtime schema no longer serves', async () => {
      edit('realtime/schema.graphql', /\s*"""The NFKC-normalised text\."""\n\s*text: String!/, '');

      const errors = errorsOf(await check(['operations']));

      expect(errors).toEqual([
        {
          severity: 'error',
          area: 'operations',
          message: expect.stringMatching(/^realtime\.v1 ChatMessages: Cannot query field "text" on type "ChatMessage"/),
        },
      ]);
    });

    it('should fail removing a field a persisted operation uses', async () => {
      edit('subgraphs/chnl/schema.graphql', /\s*"""How many users follow the channel\."""\n\s*followerCount: Int!/, '');
      recompose();

      const errors = errorsOf(await check(GRAPH_AREAS));

      expect(errors).toEqual(
        expect.arrayContaining([
          {
            severity: 'error',
            area: 'graph',
            message: expect.stringContaining("Field 'followerCount' was removed from object type 'Channel'"),
          },
          {
            severity: 'error',
            area: 'operations',
            message: expect.stringMatching(/^private\.v1 FollowChannel: Cannot query field "followerCount" on type "Channel"/),
          },
        ]),
      );
    });

    it('should fail renaming a type', async () => {
      write('subgraphs/chnl/schema.graphql', read('subgraphs/chnl/schema.graphql').replace(/\bPageInfo\b/g, 'PageState'));
      recompose();

      const errors = errorsOf(await check(GRAPH_AREAS));

      expect(errors).toEqual(
        expect.arrayContaining([
          { severity: 'error', area: 'graph', message: expect.stringContaining("Type 'PageInfo' was removed") },
          {
            severity: 'error',
            area: 'graph',
            message: expect.stringContaining("'FollowConnection.pageInfo' changed type from 'PageInfo!' to 'PageState!'"),
          },
        ]),
      );
    });

    it('should fail making an output field nullable', async () => {
      edit('subgraphs/user/schema.graphql', '  createdAt: String! @dateTime\n', '  createdAt: String @dateTime\n');
      recompose();

      const errors = errorsOf(await check(GRAPH_AREAS));

      expect(errors).toEqual([
        {
          severity: 'error',
          area: 'graph',
          message: expect.stringContaining("Field 'User.createdAt' changed type from 'String!' to 'String'"),
        },
      ]);
    });

    it('should fail making an input argument required', async () => {
      edit('subgraphs/chnl/schema.graphql', '    after: String\n', '    after: String!\n');
      recompose();

      const errors = errorsOf(await check(GRAPH_AREAS));

      expect(errors).toEqual(
        expect.arrayContaining([
          {
            severity: 'error',
            area: 'graph',
            message: expect.stringContaining("'after' on field 'Channel.followers' changed from 'String' to 'String!'"),
          },
        ]),
      );
    });

    it('should fail a stale committed supergraph', async () => {
      edit('subgraphs/user/schema.graphql', '  email: String\n', '  email: String\n  bio: String\n');

      const errors = errorsOf(await check(['composition']));

      expect(errors).toEqual([
        {
          severity: 'error',
          area: 'composition',
          message: expect.stringContaining('schema/supergraph.graphql is not what'),
        },
      ]);
    });

    it('should fail deleting a route from a published REST version', async () => {
      editJson('contracts/openapi/private.v1.json', (doc) => delete doc.paths['/me']);

      const errors = errorsOf(await check(['rest']));

      expect(errors).toEqual([
        {
          severity: 'error',
          area: 'rest',
          message: expect.stringMatching(/^private\.v1: GET \/me was removed from the published version/),
        },
      ]);
    });

    it('should fail removing a response field or adding a required parameter in a published REST version', async () => {
      editJson('contracts/openapi/private.v1.json', (doc) => {
        delete doc.components.schemas.FollowState.properties.followerCount;
        doc.components.schemas.FollowState.required = ['id', 'followedByViewer'];
        doc.paths['/channels/{channelId}/followers'].get.parameters[0].required = true;
      });

      const messages = errorsOf(await check(['rest'])).map((f) => f.message);

      expect(messages).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^private\.v1: PUT \/channels\/\{channelId\}\/follow: 200 response field followerCount was removed/),
          expect.stringMatching(/^private\.v1: GET \/channels\/\{channelId\}\/followers: the query first parameter became required/),
        ]),
      );
    });

    it('should fail an error response that is not a problem', async () => {
      editJson('contracts/openapi/private.v1.json', (doc) => {
        doc.paths['/me'].get.responses['401'] = {
          description: 'no',
          content: { 'application/json': { schema: { type: 'object' } } },
        };
      });

      const messages = errorsOf(await check(['rest'])).map((f) => f.message);

      expect(messages).toEqual([expect.stringContaining('GET /me: response 401 must be application/problem+json')]);
    });

    it('should fail a service limit that its OpenAPI documents and SDL description do not state', async () => {
      editJson('subgraphs/chnl/limits.json', (limits) => {
        limits['channel.title'].maxLength = 150;
      });

      const messages = errorsOf(await check(['limits'])).map((f) => f.message);

      expect(messages.sort()).toEqual([
        expect.stringMatching(
          /^subgraphs\/chnl\/limits\.json channel\.title: private\.v1 UpdateChannel body\.title: maxLength is 140 where the limit declares 150/,
        ),
        expect.stringMatching(
          /^subgraphs\/chnl\/limits\.json channel\.title: public\.v1 ModifyChannelInformation body\.title: maxLength is 140 where the limit declares 150/,
        ),
        expect.stringMatching(
          /^subgraphs\/chnl\/limits\.json channel\.title: the description of UpdateChannelInput\.title .* states 140 where the limit declares 150/,
        ),
      ]);
    });

    it('should fail an OpenAPI field whose bound moved away from the limit it is governed by', async () => {
      editJson('contracts/openapi/public.v1.json', (doc) => {
        doc.components.schemas.ModifyChannelRequest.properties.tags.items.maxLength = 30;
      });

      const errors = errorsOf(await check(['limits']));

      expect(errors).toEqual([
        {
          severity: 'error',
          area: 'limits',
          message: expect.stringMatching(
            /^subgraphs\/chnl\/limits\.json channel\.tags: public\.v1 ModifyChannelInformation body\.tags: items\.maxLength is 30 where the limit declares 25/,
          ),
        },
      ]);
    });

    it('should fail a limit that names a request field no document has', async () => {
      editJson('kernel/limits.json', (limits) => {
        limits['page.first'].openapi.push('private.v1 GetChannelFollowers query.last');
      });

      const messages = errorsOf(await check(['limits'])).map((f) => f.message);

      expect(messages).toEqual([
        expect.stringContaining('kernel/limits.json page.first: "private.v1 GetChannelFollowers query.last" names no query field last'),
      ]);
    });

    it('should fail removing a required field from an event schema', async () => {
      editJson('contracts/events/user.account.created.v1.json', (schema) => {
        delete schema.properties.data.properties.displayName;
        schema.properties.data.required = schema.properties.data.required.filter((field: string) => field !== 'displayName');
      });

      const errors = errorsOf(await check(['events']));

      expect(errors).toEqual([
        {
          severity: 'error',
          area: 'events',
          message: expect.stringMatching(/^user\.account\.created\.v1: field data\.displayName was removed/),
        },
      ]);
    });

    it('should fail a Prisma field that no migration covers', async () => {
      edit('prisma/chnl/schema.prisma', /(model Channel \{\n)/, '$1  slogan String?\n');

      const errors = errorsOf(await check(['storage']));

      expect(errors).toEqual([
        {
          severity: 'error',
          area: 'storage',
          message: expect.stringMatching(/^chnl: prisma\/chnl\/schema\.prisma has changes no migration covers/),
        },
      ]);
    });

    it('should fail editing a committed migration', async () => {
      const [init] = readdirSync(path('prisma/user/migrations')).filter((name) => name.endsWith('_init'));
      edit(`prisma/user/migrations/${init}/migration.sql`, /$/, '\n-- an afterthought\n');

      const errors = errorsOf(await check(['storage']));

      expect(errors).toEqual([
        {
          severity: 'error',
          area: 'storage',
          message: `user: the committed migration ${init} was edited; add a new migration instead`,
        },
      ]);
    });

    it("should fail a subgraph that imports another domain's Prisma client", async () => {
      write(
        'subgraphs/user/src/services/channel-peek.service.ts',
        "import { PrismaClient } from '../../../chnl/src/data/prisma/client';\n\nexport const peek = (prisma: PrismaClient) => prisma.channel.count();\n",
      );

      const errors = errorsOf(await check(['boundaries']));

      expect(errors).toEqual([
        {
          severity: 'error',
          area: 'boundaries',
          message: expect.stringMatching(
            /^subgraphs\/user\/src\/services\/channel-peek\.service\.ts imports subgraphs\/chnl\/src\/data\/prisma\/client\.ts \(no-cross-domain-import\)/,
          ),
        },
      ]);
    });

    it('should fail a gateway that imports a subgraph and a kernel module that imports a gateway', async () => {
      write('router/src/channel-peek.ts', "export { ChannelsService } from '../../subgraphs/chnl/src/services/channels.service';\n");
      write('kernel/problem-peek.ts', "export { ProblemError } from '../rest-facade/src/problem';\n");

      const messages = errorsOf(await check(['boundaries'])).map((f) => f.message);

      expect(messages.sort()).toEqual([
        expect.stringMatching(/^kernel\/problem-peek\.ts imports rest-facade\/src\/problem\.ts \(kernel-imports-no-app\)/),
        expect.stringMatching(
          /^router\/src\/channel-peek\.ts imports subgraphs\/chnl\/src\/services\/channels\.service\.ts \(gateway-imports-no-subgraph\)/,
        ),
      ]);
    });
  });

  describe('passes', () => {
    it('should pass adding a field', async () => {
      edit('subgraphs/user/schema.graphql', '  email: String\n', '  email: String\n  """Shown on the profile."""\n  bio: String\n');
      recompose();

      const findings = await check();

      expect(errorsOf(findings)).toEqual([]);
      expect(findings).toContainEqual({
        severity: 'info',
        area: 'graph',
        message: expect.stringContaining("Field 'bio' was added to object type 'User'"),
      });
    });

    it('should pass deprecating a field, warning about the operations that still use it', async () => {
      edit(
        'subgraphs/user/schema.graphql',
        '  email: String\n',
        '  email: String @deprecated(reason: "Read it from the account settings.")\n',
      );
      recompose();

      const findings = await check();

      expect(errorsOf(findings)).toEqual([]);
      expect(findings).toContainEqual({
        severity: 'warning',
        area: 'operations',
        message: expect.stringMatching(/^private\.v1 GetMe: .*User\.email is deprecated/),
      });
    });

    it('should only warn removing a field that the base had deprecated, and the type only it used', async () => {
      edit(
        'subgraphs/chnl/schema.graphql',
        '  socialLinks: [SocialLink!]!\n',
        '  socialLinks: [SocialLink!]! @deprecated(reason: "Unused.")\n',
      );
      recompose();
      commit('deprecate');
      edit('subgraphs/chnl/schema.graphql', /\s*"""Links shown on the channel's about page\."""\n.*\n/, '\n');
      edit(
        'subgraphs/chnl/schema.graphql',
        /"""A link to one of the broadcaster's other presences\."""\ntype SocialLink \{[^}]*\}\n\n/,
        '',
      );
      recompose();

      try {
        const findings = await check();

        expect(errorsOf(findings)).toEqual([]);
        expect(findings).toContainEqual({
          severity: 'warning',
          area: 'graph',
          message: expect.stringMatching(/^Field 'socialLinks' \(deprecated\) was removed/),
        });
        expect(findings).toContainEqual({
          severity: 'warning',
          area: 'graph',
          message: expect.stringMatching(/^Type 'SocialLink' was removed/),
        });
      } finally {
        git('reset', '-q', '--hard', 'HEAD~1');
      }
    });

    it('should pass adding a route', async () => {
      write(
        'contracts/operations/private.v1/GetChannel.graphql',
        'query GetChannel($channelId: ID!) {\n  channel(id: $channelId) {\n    id\n    title\n  }\n}\n',
      );
      write(
        'contracts/operations/private.v1.manifest.json',
        `${JSON.stringify(buildManifest('private.v1', path('contracts/operations')), null, 2)}\n`,
      );
      editJson('contracts/openapi/private.v1.json', (doc) => {
        doc.paths['/channels/{channelId}'].get = {
          operationId: 'GetChannel',
          summary: 'A channel',
          'x-when-null': 'CHNL_NOT_FOUND',
          responses: {
            '200': {
              description: 'The channel',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['id', 'title'],
                    properties: { id: { type: 'string' }, title: { type: 'string' } },
                  },
                },
              },
            },
            '404': { $ref: '#/components/responses/NotFound' },
          },
        };
      });

      const findings = await check();

      expect(errorsOf(findings)).toEqual([]);
      expect(findings).toContainEqual({
        severity: 'info',
        area: 'rest',
        message: 'private.v1: new route GET /channels/{channelId}',
      });
    });

    it('should pass a limit changed in every place that states it', async () => {
      editJson('subgraphs/chnl/limits.json', (limits) => {
        limits['channel.category'].maxLength = 60;
      });
      editJson('contracts/openapi/private.v1.json', (doc) => {
        doc.components.schemas.UpdateChannelRequest.properties.category.maxLength = 60;
      });
      editJson('contracts/openapi/public.v1.json', (doc) => {
        doc.components.schemas.ModifyChannelRequest.properties.category.maxLength = 60;
      });
      edit('subgraphs/chnl/schema.graphql', 'At most 50 characters.', 'At most 60 characters.');

      const findings = await check(['limits']);

      expect(findings).toEqual([{ severity: 'info', area: 'limits', message: expect.stringMatching(/^\d+ input limits agree/) }]);
    });

    it('should pass adding an optional event field', async () => {
      editJson('contracts/events/user.account.created.v1.json', (schema) => {
        schema.properties.data.properties.locale = {
          type: 'string',
          description: 'The language the account signed up in.',
        };
      });

      const findings = await check();

      expect(errorsOf(findings)).toEqual([]);
      expect(findings).toContainEqual({
        severity: 'info',
        area: 'events',
        message: 'user.account.created.v1: field data.locale was added (optional)',
      });
    });
  });
});
