import {
  type DocumentNode,
  type FieldNode,
  getArgumentValues,
  getVariableValues,
  type GraphQLError,
  type GraphQLField,
  type GraphQLSchema,
  Kind,
  type OperationDefinitionNode,
  parse,
  validate,
} from 'graphql';
import { DomainError } from '../../kernel/errors';
import { type PersistedOperation, readManifest } from '../../kernel/persisted';
import { ROOT_FIELDS, type RootField, USER_FIELDS } from './schema';

/** The persisted operations this gateway serves: the realtime API's own manifest. */
export const REALTIME_API = 'realtime.v1';

export interface PreparedOperation {
  id: string;
  name: string;
  body: string;
  document: DocumentNode;
  field: RootField;
  /** Whether it is pushed the room's viewer count each time it changes: `viewerCount`, or `streamStatus` selecting it. */
  countsViewers: boolean;
}

/** One subscribe request, resolved: the room it joins and the selection (operation and variables) it shares. */
export interface ResolvedSubscription {
  operation: PreparedOperation;
  variables: Record<string, unknown>;
  /** The channel's room it joins; empty for a subscription of the user's own (`forUser`). */
  channelId: string;
  /** The connected user's own events (their notifications), not a channel's. */
  forUser: boolean;
  /** Subscriptions with the same key receive the same payload, executed once. */
  selectionKey: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface Entry {
  operation: PreparedOperation;
  definition: OperationDefinitionNode;
  fieldDef: GraphQLField<unknown, unknown>;
  fieldNode: FieldNode;
}

/**
 * The safelist of the realtime gateway. Operations are checked against the schema once, at start, so a subscribe
 * only looks its operation up by id, coerces the variables and reads the channel from the root field's argument.
 */
export class PersistedSubscriptions {
  private readonly byId = new Map<string, Entry>();

  constructor(
    private readonly schema: GraphQLSchema,
    operations: PersistedOperation[] = readManifest(REALTIME_API).operations,
  ) {
    const subscriptionType = schema.getSubscriptionType();
    if (!subscriptionType) throw new Error('the realtime schema has no Subscription type');
    for (const op of operations) {
      const document = parse(op.body);
      const invalid = validate(schema, document);
      if (invalid.length) throw new Error(`${REALTIME_API} ${op.name}: ${invalid.map((e) => e.message).join('; ')}`);
      const definition = document.definitions[0];
      if (definition?.kind !== Kind.OPERATION_DEFINITION || definition.operation !== 'subscription') {
        throw new Error(`${REALTIME_API} ${op.name}: only subscriptions are served over graphql-ws`);
      }
      const fieldNode = definition.selectionSet.selections[0];
      const field = fieldNode?.kind === Kind.FIELD ? ROOT_FIELDS.find((f) => f === fieldNode.name.value) : undefined;
      if (!field || fieldNode.kind !== Kind.FIELD) throw new Error(`${REALTIME_API} ${op.name}: unknown root field`);
      const countsViewers =
        field === 'viewerCount' ||
        (field === 'streamStatus' &&
          (fieldNode.selectionSet?.selections ?? []).some((s) => s.kind === Kind.FIELD && s.name.value === 'viewerCount'));
      this.byId.set(op.id, {
        operation: { id: op.id, name: op.name, body: op.body, document, field, countsViewers },
        definition,
        fieldDef: subscriptionType.getFields()[field],
        fieldNode,
      });
    }
  }

  /** The subscription a client asks for, or the errors it is refused with (sent as a graphql-ws `error` message). */
  resolve(payload: {
    query?: string;
    variables?: Record<string, unknown> | null;
    extensions?: Record<string, unknown> | null;
  }): ResolvedSubscription | readonly GraphQLError[] {
    const persisted = payload.extensions?.persistedQuery as { sha256Hash?: unknown } | undefined;
    const entry = typeof persisted?.sha256Hash === 'string' ? this.byId.get(persisted.sha256Hash) : undefined;
    if (!entry) {
      return [
        new DomainError(
          'OPERATION_NOT_PERSISTED',
          `only persisted subscriptions run here: send extensions.persistedQuery.sha256Hash of an operation in ${REALTIME_API}`,
        ),
      ];
    }
    // graphql-ws requires a query string: an empty one means "the persisted text", any other must be that text.
    if (payload.query && payload.query !== entry.operation.body) {
      return [new DomainError('OPERATION_NOT_PERSISTED', 'the query text does not match the persisted operation')];
    }
    const coerced = getVariableValues(this.schema, entry.definition.variableDefinitions ?? [], payload.variables ?? {});
    if (coerced.errors) {
      return [new DomainError('VALIDATION_FAILED', coerced.errors.map((e) => e.message).join('; '))];
    }
    const selectionKey = `${entry.operation.id}:${JSON.stringify(coerced.coerced)}`;
    if (USER_FIELDS.has(entry.operation.field)) {
      return { operation: entry.operation, variables: coerced.coerced, channelId: '', forUser: true, selectionKey };
    }
    const { channelId } = getArgumentValues(entry.fieldDef, entry.fieldNode, coerced.coerced);
    if (typeof channelId !== 'string' || !UUID.test(channelId)) {
      return [
        new DomainError('VALIDATION_FAILED', 'channelId must be a UUID', { fields: [{ field: 'channelId', message: 'must be a UUID' }] }),
      ];
    }
    return {
      operation: entry.operation,
      variables: coerced.coerced,
      channelId: channelId.toLowerCase(),
      forUser: false,
      selectionKey,
    };
  }
}
