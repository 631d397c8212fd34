/**
 * The router as another part of the same process sees it: edge-gtw hands the REST facade's requests to the router
 * without a loopback HTTP exchange. The router implements this and the facade depends on it, so neither imports
 * the other (`.dependency-cruiser.cjs`); bin/ wires the two together.
 */
export interface GraphQLRequestBody {
  query?: unknown;
  operationName?: unknown;
  variables?: unknown;
  /**
   * `api`: the API and version the request came through (`private.v1`, `public.v1`, ...), which decides the one
   * kind of token it takes. The REST facade always names it; a direct caller must when the operation's text is
   * persisted in several APIs.
   */
  extensions?: { persistedQuery?: { sha256Hash?: unknown }; api?: unknown };
}

export interface RouterRequest {
  body: GraphQLRequestBody;
  authorization?: string;
  requestId: string;
  clientIp?: string;
}

export interface RouterReply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface RouterPort {
  /** Runs one request through safelist, authentication and the gateway, exactly as an HTTP request would. */
  execute(request: RouterRequest): Promise<RouterReply>;
  subgraphsHealthy(): Promise<boolean>;
}
