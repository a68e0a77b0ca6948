// An HTTP receiver for the hook tests, in a process of its own (the tests run polyarchiv
// synchronously): each request is appended to the file named by argv[2] as one JSON line; the
// path chooses the answer: /status/NNN answers NNN, /slow answers 200 after 1.5 s, anything else 200.
import { appendFileSync } from 'node:fs';
import { createServer } from 'node:http';

const log = process.argv[2];
const server = createServer((request, response) => {
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    appendFileSync(
      log,
      `${JSON.stringify({ method: request.method, url: request.url, headers: request.headers, body })}\n`,
    );
    const status = /^\/status\/(\d{3})/.exec(request.url ?? '')?.[1];
    const answer = () => {
      response.writeHead(status === undefined ? 200 : Number(status), { 'content-type': 'text/plain' });
      response.end(status === undefined ? 'received\n' : `answered ${status}\n`);
    };
    if (request.url?.startsWith('/slow')) setTimeout(answer, 1500);
    else answer();
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
