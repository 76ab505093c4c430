/**
 * The benchmark's OTLP/HTTP trace receiver, run as a child process so its work does not share
 * the pipeline's thread: it counts the spans of each protobuf request (without decoding them)
 * and answers `GET /count`. Prints its port on stdout once listening, on 127.0.0.1 only.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { countSpans } from '../telemetry/protobuf-reader.js';

let spans = 0;
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    if (req.method === 'GET' && req.url === '/count') {
      res.end(String(spans));
      return;
    }
    spans += countSpans(Buffer.concat(chunks));
    res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as AddressInfo).port}\n`));
// Ends with its parent.
process.stdin.resume().on('end', () => process.exit(0));
