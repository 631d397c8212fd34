import type { LiveSignal } from '../providers/port';

/** A stream that has not ended: the one a channel has on air. */
export interface OpenStream {
  state: 'connecting' | 'live' | 'reconnecting';
  startedAt: Date | null;
  disconnectedAt: Date | null;
}

/**
 * What one provider signal does to a channel. `end` closes the open stream at that instant (announced when it had
 * gone live); `open` begins a new one; `change` moves the open one. Several may apply: a reconnection after the
 * window ends the old stream and opens the next.
 */
export interface Transition {
  end?: { at: Date; announce: boolean };
  open?: { state: 'connecting' | 'live'; startedAt: Date | null };
  change?: { state: OpenStream['state']; startedAt?: Date; disconnectedAt: Date | null };
  /** Whether the change is worth a live.stream.updated.v1: the viewers' stream changed state. */
  announceChange?: boolean;
  /** live.stream.started.v1: the channel went live (a new stream, or one that had only connected). */
  started?: boolean;
}

export type Decision = { apply: Transition } | { ignore: 'stale' | 'no-effect' };

/**
 * The one lifecycle `offline → connecting → live → reconnecting → ended` as provider signals drive it. Signals
 * arrive late, twice and out of order: one not newer than the last applied to the channel is stale and changes
 * nothing, so a stream never moves backwards. A drop followed by a reconnection within `windowSeconds` continues
 * the same stream; a later one is a new stream, the old one having ended when it dropped.
 */
export function decide(open: OpenStream | null, lastEventAt: Date | null, signal: LiveSignal, at: Date, windowSeconds: number): Decision {
  if (lastEventAt && at.getTime() <= lastEventAt.getTime()) return { ignore: 'stale' };

  if (!open) {
    if (signal === 'connected') return { apply: { open: { state: 'connecting', startedAt: null } } };
    if (signal === 'active') return { apply: { open: { state: 'live', startedAt: at }, started: true } };
    return { ignore: 'no-effect' };
  }

  if (signal === 'idle') return { apply: { end: { at, announce: open.startedAt !== null } } };

  if (signal === 'disconnected') {
    if (open.state === 'reconnecting') return { ignore: 'no-effect' };
    return { apply: { change: { state: 'reconnecting', disconnectedAt: at }, announceChange: open.state === 'live' } };
  }

  if (open.state === 'reconnecting' && open.disconnectedAt && at.getTime() - open.disconnectedAt.getTime() > windowSeconds * 1000) {
    const end = { at: open.disconnectedAt, announce: open.startedAt !== null };
    if (signal === 'connected') return { apply: { end, open: { state: 'connecting', startedAt: null } } };
    return { apply: { end, open: { state: 'live', startedAt: at }, started: true } };
  }

  if (signal === 'connected') {
    // Connected again within the window: still reconnecting until the provider broadcasts again.
    return { ignore: 'no-effect' };
  }

  // active
  if (open.state === 'live') return { ignore: 'no-effect' };
  if (open.startedAt === null) {
    return { apply: { change: { state: 'live', startedAt: at, disconnectedAt: null }, started: true } };
  }
  return { apply: { change: { state: 'live', disconnectedAt: null }, announceChange: true } };
}
