import { ipv6Network64 } from './login-limiter';

describe(ipv6Network64.name, () => {
  it.each([
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['2001:0DB8:0000:0000:1234::1', '2001:db8:0:0::/64'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::', 'fe80:0:0:0::/64'],
  ])('should give %s the network %s', (ip, network) => {
    expect(ipv6Network64(ip)).toBe(network);
  });

  it.each(['198.51.100.7', '::ffff:198.51.100.7', 'not an address', ''])('should give %p no /64', (ip) => {
    expect(ipv6Network64(ip)).toBeNull();
  });
});
