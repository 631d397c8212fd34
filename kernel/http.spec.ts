import { clientAddress } from './http';

describe(clientAddress.name, () => {
  const lb = new Set(['10.0.0.2', '10.0.0.3']);

  it("should take the socket's peer when it is not a proxy of ours, whatever the header says", () => {
    expect(clientAddress('203.0.113.9', '1.2.3.4', lb)).toBe('203.0.113.9');
    expect(clientAddress('203.0.113.9', undefined, new Set())).toBe('203.0.113.9');
  });

  it('should take the rightmost hop no proxy of ours wrote, not the leftmost the client wrote', () => {
    expect(clientAddress('10.0.0.2', '6.6.6.6, 203.0.113.9', lb)).toBe('203.0.113.9');
    expect(clientAddress('10.0.0.2', '6.6.6.6, 203.0.113.9, 10.0.0.3', lb)).toBe('203.0.113.9');
    expect(clientAddress('10.0.0.2', ['6.6.6.6', '203.0.113.9'], lb)).toBe('203.0.113.9');
  });

  it('should fall back to the first hop when every hop is ours, and to the peer without a header', () => {
    expect(clientAddress('10.0.0.2', '10.0.0.3', lb)).toBe('10.0.0.3');
    expect(clientAddress('10.0.0.2', undefined, lb)).toBe('10.0.0.2');
    expect(clientAddress('10.0.0.2', ' , ', lb)).toBe('10.0.0.2');
  });
});
