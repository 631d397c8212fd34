declare module 'http_ece' {
  import type { ECDH } from 'node:crypto';
  /** The part of http_ece (Encrypted Content-Encoding, RFC 8188) a browser's side of Web Push uses. */
  export function decrypt(buffer: Buffer, params: { version: 'aes128gcm'; privateKey: ECDH; authSecret: string }): Buffer;
}
