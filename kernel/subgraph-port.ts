/**
 * A subgraph as a router in the same process sees it (`npm start`): the router hands it the call it would post to
 * `/graphql`, without a loopback HTTP exchange. kernel/subgraph.ts implements this and the router depends on it;
 * bin/ wires the two together, as for the facade and the router (router-port.ts).
 */
export interface SubgraphCall {
  /** The headers the router would send: the signed identity and the request id among them. */
  headers: Record<string, string>;
  /** The JSON body, as the router's data source wrote it. */
  body: string;
}

export interface SubgraphAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Answers a call exactly as the subgraph's `/graphql` would: the same identity check, execution and answer. */
export type InProcessSubgraph = (call: SubgraphCall) => Promise<SubgraphAnswer>;
