/**
 * How many sockets each key (a user, an address) holds open on this instance, up to a cap. A socket is counted from
 * the moment it is admitted until it closes.
 */
export class SocketCaps {
  private readonly held = new Map<string, number>();

  constructor(readonly max: number) {}

  /** Counts one more socket for `key`, or refuses it (false) when the key already holds `max`. */
  take(key: string): boolean {
    const count = this.held.get(key) ?? 0;
    if (count >= this.max) return false;
    this.held.set(key, count + 1);
    return true;
  }

  release(key: string): void {
    const count = (this.held.get(key) ?? 0) - 1;
    if (count > 0) this.held.set(key, count);
    else this.held.delete(key);
  }
}
