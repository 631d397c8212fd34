import { createServer } from 'node:net';
import { createIntrospection, IntrospectionUnavailable } from './introspection';

const closedPort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

describe(createIntrospection.name, () => {
  const options = (url: string) => ({
    url,
    clientId: 'router-gtw',
    clientSecret: 's'.repeat(32),
    cacheMs: 1000,
    timeoutMs: 500,
    audience: 'urn:x',
  });

  it('never sends what is not an opaque token (a session JWT) to the authorization server', async () => {
    const introspection = createIntrospection(options(`http://127.0.0.1:${await closedPort()}/oauth/introspect`));
    await expect(introspection.verify('eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln')).resolves.toBeNull();
  });

  it('reports an authorization server that does not answer, rather than calling the token invalid', async () => {
    const introspection = createIntrospection(options(`http://127.0.0.1:${await closedPort()}/oauth/introspect`));
    await expect(introspection.verify('a'.repeat(43))).rejects.toBeInstanceOf(IntrospectionUnavailable);
  });
});
