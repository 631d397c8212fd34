import { readFileSync } from 'node:fs';
import { operationFromDocument, Supergraph } from '@apollo/federation-internals';
import { type PlanNode, QueryPlanner } from '@apollo/query-planner';
import { parse } from 'graphql';
import { fromRoot } from '../../kernel/paths';
import { readManifest } from '../../kernel/persisted';

const supergraph = Supergraph.build(readFileSync(fromRoot('schema', 'supergraph.graphql'), 'utf8'));
const planner = new QueryPlanner(supergraph);

/** The subgraphs the router's plan of a persisted operation fetches from, in plan order. */
function fetchedFrom(api: string, name: string): string[] {
  const persisted = readManifest(api).operations.find((op) => op.name === name);
  if (!persisted) throw new Error(`${api} has no operation ${name}`);
  const plan = planner.buildQueryPlan(operationFromDocument(supergraph.schema, parse(persisted.body), { operationName: name }));
  const services: string[] = [];
  const visit = (node: PlanNode | undefined): void => {
    if (!node) return;
    switch (node.kind) {
      case 'Fetch':
        services.push(node.serviceName);
        return;
      case 'Flatten':
        visit(node.node);
        return;
      case 'Sequence':
      case 'Parallel':
        node.nodes.forEach(visit);
        return;
      default:
        throw new Error(`unexpected plan node ${node.kind}`);
    }
  };
  if (plan.node?.kind === 'Subscription') throw new Error(`${name} is a subscription`);
  visit(plan.node);
  return services;
}

/** The plans of the chat's busiest operations: what each message costs the router in subgraph calls. */
describe('query plans', () => {
  it.each([
    ['private.v1', 'SendChatMessage'],
    ['public.v1', 'SendChatMessage'],
    ['private.v1', 'GetChatMessages'],
  ])("should answer %s %s from the chat subgraph alone, the senders' names included", (api, name) => {
    expect(fetchedFrom(api, name)).toEqual(['chat']);
  });

  it('should still ask the user subgraph for what only it holds of a sender', () => {
    expect(fetchedFrom('private.v1', 'GetUserByLogin')).toContain('user');
  });
});
