import { MuxWebhooks } from './providers/mux';
import { simulatedWebhooks } from './simulator';

describe('the streaming simulator', () => {
  const secret = 'simulator-secret-0123456789';
  const webhooks = new MuxWebhooks([secret]);

  it('should send, for a start, connected then active, signed as Mux signs them and ordered by their time', () => {
    const now = new Date('2026-11-27T12:00:00.000Z');
    const sent = simulatedWebhooks('start', 'input-1', secret, now);
    for (const { body, signature } of sent) expect(() => webhooks.verify(Buffer.from(body), signature, now)).not.toThrow();
    const events = sent.map(({ body }) => webhooks.parse(Buffer.from(body)));
    expect(events.map((e) => [e.signal, e.providerInputId])).toEqual([
      ['connected', 'input-1'],
      ['active', 'input-1'],
    ]);
    expect(events[0].occurredAt.getTime()).toBeLessThan(events[1].occurredAt.getTime());
  });

  it('should send disconnected for a drop and idle for a stop', () => {
    const signals = (action: 'drop' | 'stop') =>
      simulatedWebhooks(action, 'i', secret).map(({ body }) => webhooks.parse(Buffer.from(body)).signal);
    expect(signals('drop')).toEqual(['disconnected']);
    expect(signals('stop')).toEqual(['idle']);
  });

  it('should send, for a recording, the asset of the live stream created then ready', () => {
    const events = simulatedWebhooks('recording', 'input-1', secret).map(({ body }) => webhooks.parse(Buffer.from(body)));
    expect(events.map((e) => [e.providerInputId, e.asset?.status, e.asset?.durationSeconds])).toEqual([
      ['input-1', 'recording', null],
      ['input-1', 'ready', 120.5],
    ]);
    expect(events[0].asset?.assetId).toBe(events[1].asset?.assetId);
    expect(events[1].asset?.playbackId).toEqual(expect.any(String));
  });
});
