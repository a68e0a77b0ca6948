// An S3-compatible server for the tests, in a process of its own (a test that blocks in
// spawnSync must not stop it): s3rver serving DIRECTORY with the bucket BUCKET, behind a front on
// 127.0.0.1:PORT that checks each request's signature (AWS Signature Version 4, in the
// Authorization header) with the secret key of the environment's POLYARCHIV_TEST_S3_SECRET, as
// S3 does: s3rver itself knows the access key id S3RVER only and does not verify version 4
// signatures. A request whose signature does not match is refused with S3's 403
// SignatureDoesNotMatch; any other goes to s3rver as it came.
import { createHash, createHmac } from 'node:crypto';
import { createServer, request } from 'node:http';
import S3rver from 's3rver';

const [directory, port, bucket] = process.argv.slice(2);
const secret = process.env.POLYARCHIV_TEST_S3_SECRET ?? '';
const inner = new S3rver({
  address: '127.0.0.1',
  port: 0,
  directory,
  silent: true,
  configureBuckets: [{ name: bucket }],
});
const { port: innerPort } = await inner.run();

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=[^/]+\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/;

/** S3's URI encoding: every byte but the unreserved characters. */
const encoded = (text) =>
  encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

const hmac = (key, text) => createHmac('sha256', key).update(text, 'utf8').digest();

/** Why the request's signature does not match, or undefined when it does (or it has none). */
function refusal(req) {
  const authorization = req.headers.authorization;
  if (authorization === undefined) return undefined;
  const match = AUTHORIZATION.exec(authorization);
  if (match === null) return 'not a Signature Version 4 Authorization header';
  const [, date, region, service, signedHeaders, signature] = match;
  const question = req.url.indexOf('?');
  const path = question < 0 ? req.url : req.url.slice(0, question);
  const query = [...new URLSearchParams(question < 0 ? '' : req.url.slice(question + 1))]
    .map(([key, value]) => `${encoded(key)}=${encoded(value)}`)
    .sort()
    .join('&');
  const headers = signedHeaders
    .split(';')
    .map(
      (name) =>
        `${name}:${String(req.headers[name] ?? '')
          .trim()
          .replace(/\s+/g, ' ')}\n`,
    )
    .join('');
  const payload = req.headers['x-amz-content-sha256'] ?? 'UNSIGNED-PAYLOAD';
  const canonical = [req.method, path, query, headers, signedHeaders, payload].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const toSign = [
    'AWS4-HMAC-SHA256',
    req.headers['x-amz-date'],
    scope,
    createHash('sha256').update(canonical, 'utf8').digest('hex'),
  ].join('\n');
  let key = hmac(`AWS4${secret}`, date);
  for (const part of [region, service, 'aws4_request']) key = hmac(key, part);
  return hmac(key, toSign).toString('hex') === signature ? undefined : 'signature does not match';
}

createServer((req, res) => {
  const why = refusal(req);
  if (why !== undefined) {
    req.resume();
    res.writeHead(403, { 'content-type': 'application/xml' });
    res.end(
      `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided (${why}).</Message></Error>`,
    );
    return;
  }
  const upstream = request(
    { host: '127.0.0.1', port: innerPort, method: req.method, path: req.url, headers: req.headers },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on('error', () => res.destroy());
  req.pipe(upstream);
}).listen(Number(port), '127.0.0.1');
