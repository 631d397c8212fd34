import { createServer } from 'node:http';

/** The floor of the benchmark: node:http answering a JSON body of the same size as the REST route's, no work. */
const port = Number(process.argv[2] ?? 4799);
const body = process.argv[3] ?? '{}';
createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}).listen(port, '127.0.0.1', () => process.send?.('ready'));
