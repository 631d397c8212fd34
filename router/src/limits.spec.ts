import { parse, validate } from 'graphql';
import { composeSupergraph } from '../../scripts/compose';
import { loadPersistedOperations } from '../../kernel/persisted';
import { limitRules, QUERY_LIMITS } from './limits';

describe('router query limits', () => {
  const { result } = composeSupergraph();
  if (result.errors) throw new Error('the supergraph does not compose');
  const schema = result.schema.toAPISchema().toGraphQLJSSchema();
  const errorsOf = (document: string) => validate(schema, parse(document), limitRules()).map((e) => e.message);

  it('should let every persisted operation through', () => {
    for (const operation of loadPersistedOperations().values()) expect(errorsOf(operation.body)).toEqual([]);
  });

  it('should refuse a document nested deeper than the limit', () => {
    let selection = 'id';
    for (let i = 0; i < QUERY_LIMITS.maxDepth; i += 1) selection = `owner { channel { ${selection} } }`;
    const errors = errorsOf(`query Deep { channel(id: "x") { ${selection} } }`);
    expect(errors.join()).toMatch(/depth/i);
  });

  it('should refuse more aliases than the limit', () => {
    const aliases = Array.from({ length: QUERY_LIMITS.maxAliases + 1 }, (_, i) => `a${i}: user(login: "x") { id }`).join(' ');
    expect(errorsOf(`query Many { ${aliases} }`).join()).toMatch(/alias/i);
  });
});
