import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { ErrorCode } from './errors';

/** A request body refused before any handling: 400 (not JSON), 413 (over the limit) or 415 (charset, encoding). */
export class BodyError extends Error {
  constructor(
    readonly status: 400 | 413 | 415,
    message: string,
  ) {
    super(message);
  }

  get code(): ErrorCode {
    return ({ 400: 'BAD_REQUEST', 413: 'PAYLOAD_TOO_LARGE', 415: 'UNSUPPORTED_MEDIA_TYPE' } as const)[this.status];
  }
}

const DECODERS: Record<string, () => Readable & NodeJS.WritableStream> = {
  gzip: createGunzip,
  deflate: createInflate,
  br: createBrotliDecompress,
};

/** Only an object or an array is a request; the first significant character says which (as body-parser's strict mode). */
const FIRST_CHARACTER = /^[ \t\n\r]*([^ \t\n\r])/;

/**
 * The JSON body of a request, as express's JSON parser read it for the router and the subgraphs: `undefined` when
 * there is no body or its type is not `application/json`, `{}` for an empty one; a body compressed with gzip,
 * deflate or br is decompressed, and `limitBytes` bounds what it decompresses to.
 */
export async function readJsonBody(req: IncomingMessage, limitBytes: number): Promise<unknown> {
  const length = req.headers['content-length'];
  if (req.headers['transfer-encoding'] === undefined && length === undefined) return undefined;
  const [type, ...parameters] = (req.headers['content-type'] ?? '').split(';');
  if (type.trim().toLowerCase() !== 'application/json') return undefined;
  for (const parameter of parameters) {
    const [name, value] = parameter.split('=').map((part) => part.trim().toLowerCase());
    if (name === 'charset' && value.replace(/"/g, '') !== 'utf-8') throw new BodyError(415, `unsupported charset "${value.toUpperCase()}"`);
  }
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
  let source: Readable = req;
  if (encoding !== 'identity') {
    const decoder = DECODERS[encoding];
    if (!decoder) throw new BodyError(415, `unsupported content encoding "${encoding}"`);
    const decoding = decoder();
    req.on('error', (error) => decoding.destroy(error));
    source = req.pipe(decoding);
  } else if (length !== undefined && Number(length) > limitBytes) {
    throw new BodyError(413, 'request entity too large');
  }
  const text = await readText(req, source, limitBytes);
  if (text.length === 0) return {};
  const first = FIRST_CHARACTER.exec(text)?.[1];
  if (first !== '{' && first !== '[') throw new BodyError(400, 'the body is not a JSON object or array');
  try {
    return JSON.parse(text);
  } catch {
    throw new BodyError(400, 'the body is not valid JSON');
  }
}

function readText(req: IncomingMessage, source: Readable, limitBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    source.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > limitBytes) {
        // The rest of the request is left unread (node discards it once the answer is sent), and not decompressed.
        source.removeAllListeners('data');
        if (source !== req) {
          req.unpipe();
          source.destroy();
          req.resume();
        }
        reject(new BodyError(413, 'request entity too large'));
        return;
      }
      chunks.push(chunk);
    });
    source.on('end', () => resolve(chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8')));
    // A body that does not decompress is the client's fault; a connection closed midway is answered to no one.
    source.on('error', () => reject(new BodyError(400, 'the body could not be read')));
  });
}
