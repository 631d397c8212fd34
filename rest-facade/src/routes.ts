import { Kind, parse, type OperationDefinitionNode } from 'graphql';
import type { Operation } from 'openapi-backend';
import { z } from 'zod';
import { ERROR_STATUS, type ErrorCode } from '../../kernel/errors';
import type { PersistedOperation } from '../../kernel/persisted';

/** How one REST operation runs its persisted GraphQL operation, compiled once from the OpenAPI document. */
export interface Route {
  operationName: string;
  id: string;
  /** The lowest 2xx status the operation declares (JSON objects keep integer-like keys in ascending order). */
  status: number;
  bodyVariables: (body: unknown) => Record<string, unknown>;
  /** Variables read from request headers (a webhook's signature). */
  headerVariables: (headers: Record<string, string | string[] | undefined>) => Record<string, unknown>;
  /**
   * Whether the Authorization header is one of those variables: then it is a third party's credential for the
   * domain to verify (Google's push token), not the caller's token, and the router is not given it.
   */
  authorizationIsVariable: boolean;
  resultPath: string[];
  page: boolean;
  whenNull?: ErrorCode;
}

const NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;

const extensionsSchema = z.object({
  'x-graphql-body-variable': z.string().regex(NAME, 'must be a GraphQL variable name').optional(),
  'x-graphql-raw-body-variable': z.string().regex(NAME, 'must be a GraphQL variable name').optional(),
  'x-graphql-header-variables': z
    .record(z.string().regex(/^[a-z0-9-]+$/, 'must be a lowercase header name'), z.string().regex(NAME, 'must be a GraphQL variable name'))
    .optional(),
  'x-graphql-result': z
    .string()
    .refine((path) => path.split('.').every((key) => NAME.test(key)), 'must be a dotted path of field names')
    .optional(),
  'x-graphql-page': z.boolean().optional(),
  'x-when-null': z
    .enum(Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]], { error: 'must be a code of kernel/errors.ts' })
    .optional(),
});

const noVariables = () => ({});

/**
 * Compiles every operation of a dereferenced document into its route, checking that the document and the
 * manifest agree: a mismatch would otherwise surface as a failing request in production. Throws one error listing
 * every problem found.
 */
export function compileRoutes(api: string, operations: Operation[], manifest: PersistedOperation[]): Map<string, Route> {
  const { routes, problems } = checkRoutes(api, operations, manifest);
  if (problems.length) throw new Error(`the ${api} OpenAPI document does not match its operations:\n  - ${problems.join('\n  - ')}`);
  return routes;
}

/** What compileRoutes checks, every problem listed instead of thrown, for the schema check's report. */
export function checkRoutes(
  api: string,
  operations: Operation[],
  manifest: PersistedOperation[],
): { routes: Map<string, Route>; problems: string[] } {
  const persisted = new Map(manifest.map((op) => [op.name, op]));
  const routes = new Map<string, Route>();
  const problems: string[] = [];

  for (const operation of operations) {
    const where = `${operation.method.toUpperCase()} ${operation.path}`;
    const name = operation.operationId;
    const op = name ? persisted.get(name) : undefined;
    if (!name || !op) {
      problems.push(`${where}: operationId ${name ?? '(none)'} is not a persisted operation of ${api}`);
      continue;
    }
    const flag = (problem: string) => problems.push(`${where} (${name}): ${problem}`);
    const parsed = extensionsSchema.safeParse(operation);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) flag(`${issue.path.join('.')} ${issue.message}`);
      continue;
    }
    const extensions = parsed.data;
    const definition = parse(op.body).definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
    const declared = new Set(definition?.variableDefinitions?.map((v) => v.variable.name.value));

    for (const parameter of operation.parameters ?? []) {
      if ('name' in parameter && (parameter.in === 'path' || parameter.in === 'query') && !declared.has(parameter.name)) {
        flag(`parameter ${parameter.name} is not a variable of the operation`);
      }
    }

    let bodyVariables: Route['bodyVariables'] = noVariables;
    const bodyVariable = extensions['x-graphql-body-variable'];
    const rawBodyVariable = extensions['x-graphql-raw-body-variable'];
    if (rawBodyVariable) {
      if (!declared.has(rawBodyVariable)) flag(`x-graphql-raw-body-variable ${rawBodyVariable} is not a variable of the operation`);
      if (bodyVariable) flag('x-graphql-raw-body-variable and x-graphql-body-variable together');
      bodyVariables = (body) => ({ [rawBodyVariable]: Buffer.isBuffer(body) ? body.toString('base64') : '' });
    } else if (operation.requestBody && bodyVariable) {
      if (!declared.has(bodyVariable)) flag(`x-graphql-body-variable ${bodyVariable} is not a variable of the operation`);
      bodyVariables = (body) => ({ [bodyVariable]: body });
    } else if (operation.requestBody) {
      const schema = 'content' in operation.requestBody ? operation.requestBody.content['application/json']?.schema : undefined;
      for (const field of Object.keys((schema && 'properties' in schema && schema.properties) || {})) {
        if (!declared.has(field)) flag(`body field ${field} is not a variable of the operation`);
      }
      bodyVariables = (body) => body as Record<string, unknown>;
    } else if (bodyVariable) {
      flag('x-graphql-body-variable on an operation without a request body');
    }

    const headers = Object.entries(extensions['x-graphql-header-variables'] ?? {});
    for (const [header, variable] of headers) {
      if (!declared.has(variable)) flag(`x-graphql-header-variables: ${variable} (header ${header}) is not a variable of the operation`);
    }
    const headerVariables: Route['headerVariables'] = (received) =>
      Object.fromEntries(
        headers.flatMap(([header, variable]) => (typeof received[header] === 'string' ? [[variable, received[header]]] : [])),
      );

    const rootFields = definition?.selectionSet.selections.flatMap((s) => (s.kind === Kind.FIELD ? [(s.alias ?? s.name).value] : [])) ?? [];
    const result = extensions['x-graphql-result'];
    if (!result && rootFields.length !== 1) flag('not exactly one root field: x-graphql-result must name the result');

    const status = Object.keys(operation.responses ?? {}).find((code) => /^2\d\d$/.test(code));
    if (!status) flag('no 2xx response');

    routes.set(name, {
      operationName: name,
      id: op.id,
      status: Number(status),
      bodyVariables,
      headerVariables,
      authorizationIsVariable: headers.some(([header]) => header === 'authorization'),
      resultPath: result ? result.split('.') : rootFields,
      page: extensions['x-graphql-page'] ?? false,
      whenNull: extensions['x-when-null'],
    });
  }

  return { routes, problems };
}

/** The value at `path` under `data`; null when anything along the way is missing. */
export function pickResult(data: unknown, path: string[]): unknown {
  let value = data;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return null;
    value = (value as Record<string, unknown>)[key];
  }
  return value ?? null;
}

interface Connection {
  totalCount: number;
  nodes: unknown[];
  pageInfo: { endCursor?: string | null; hasNextPage: boolean };
}

interface Page {
  data: unknown[];
  total: number;
  pagination: { cursor?: string };
}

/**
 * A GraphQL connection in the page shape Twitch Helix clients know; no cursor means the last page. Other fields the
 * operation selects on the connection (an inbox's unread count) stay beside them.
 */
export function toPage(connection: unknown): Page {
  const { nodes, totalCount, pageInfo, ...rest } = connection as Connection;
  return {
    ...rest,
    data: nodes,
    total: totalCount,
    pagination: pageInfo.hasNextPage && pageInfo.endCursor ? { cursor: pageInfo.endCursor } : {},
  };
}
