import type { NextFunction, Request, Response } from 'express';
import { sendGraphQLError } from '../../kernel/graphql-http';
import { signIdentity, verifyAccessToken, type Identity } from '../../kernel/identity';

declare module 'express-serve-static-core' {
  interface Request {
    identity: Identity;
    identityToken: string;
  }
}

/**
 * Authenticates the caller once at the edge of the graph and mints the identity every subgraph will verify.
 * No token means anonymous (subgraphs decide what anonymous callers may see); a bad or expired token is refused
 * here rather than silently downgraded to anonymous.
 */
export function authenticate(accessSecret: string, identitySecret: string) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const header = req.headers.authorization;
    let userId: string | undefined;
    if (header !== undefined) {
      const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(header);
      const verified = match ? await verifyAccessToken(accessSecret, match[1]) : { ok: false as const, reason: 'invalid' as const };
      if (!verified.ok) {
        res.setHeader('WWW-Authenticate', `Bearer error="invalid_token", error_description="token ${verified.reason}"`);
        sendGraphQLError(res, 401, 'UNAUTHENTICATED', `access token ${verified.reason}`);
        return;
      }
      userId = verified.claims.userId;
    }
    req.identity = { userId, scopes: [], requestId: req.id };
    req.identityToken = await signIdentity(identitySecret, req.identity);
    next();
  };
}
