/**
 * The subgraphs the router composes, by the name they have in the supergraph (the domain's short name) and the
 * process that serves them. The URL in the committed supergraph is a default; each router instance takes the
 * real one from its config.
 */
export const SUBGRAPHS = [
  { name: 'user', process: 'user-store-svc', env: 'USER_SUBGRAPH_URL', defaultUrl: 'http://127.0.0.1:4001/graphql' },
  { name: 'chnl', process: 'chnl-store-svc', env: 'CHNL_SUBGRAPH_URL', defaultUrl: 'http://127.0.0.1:4002/graphql' },
  { name: 'chat', process: 'chat-store-svc', env: 'CHAT_SUBGRAPH_URL', defaultUrl: 'http://127.0.0.1:4003/graphql' },
] as const;

export type SubgraphName = (typeof SUBGRAPHS)[number]['name'];
