import { isAdmittedHost } from './egress-guard';

/** The guard's decision, on addresses alone: no test opens a connection past loopback, not even to prove it. */
describe('isAdmittedHost', () => {
  it.each([
    '127.0.0.1',
    '127.8.9.10',
    '::1',
    '[::1]',
    '0:0:0:0:0:0:0:1',
    '::ffff:127.0.0.1',
    'localhost',
    'LOCALHOST',
    'localhost.',
    'db.localhost',
  ])('should admit the loopback address %s', (host) => expect(isAdmittedHost(host)).toBe(true));

  it.each([
    ['169.254.169.254', 'the cloud metadata address (link-local)'],
    ['fe80::1', 'IPv6 link-local'],
    ['fd00:ec2::254', 'the IPv6 metadata address'],
    ['10.0.0.1', 'private'],
    ['172.16.5.4', 'private'],
    ['192.168.1.1', 'private'],
    ['8.8.8.8', 'public'],
    ['2001:4860:4860::8888', 'public IPv6'],
    ['::ffff:169.254.169.254', 'IPv4-mapped link-local'],
    ['::ffff:8.8.8.8', 'IPv4-mapped public'],
    ['0.0.0.0', 'the unspecified address'],
    ['::', 'the unspecified IPv6 address'],
    ['usage-reporting.api.apollographql.com', 'a name, which would need a lookup'],
    ['metadata.google.internal', 'the GCP metadata name'],
    ['metadata.google.internal.', 'the same name fully qualified'],
    ['localhost.example.com', 'a name that only starts like localhost'],
  ])('should refuse %s (%s)', (host) => expect(isAdmittedHost(host)).toBe(false));
});
