// An S3-compatible server for the tests, in a process of its own (a test that blocks in
// spawnSync must not stop it): s3rver serving DIRECTORY with the bucket BUCKET, behind a front on
// 127.0.0.1:PORT that checks each request's signature (AWS Signature Version 4, in the
// Authorization header) with the secret key of the environment's POLYARCHIV_TEST_S3_SECRET, as
// S3 does: s3rver itself knows the access key id S3RVER only and does not verify version 4
// signatures. A request whose signature does not match is refused with S3's 403
// SignatureDoesNotMatch; any other goes to s3rver as it came.
import { createHash, createHmac } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { copyFile, mkdir, rename } from 'node:fs/promises';
import { createServer, request } from 'node:http';
import { dirname } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import S3rver from 's3rver';
import FilesystemStore from 's3rver/lib/stores/filesystem.js';

// Two ways s3rver 3.7 stores objects that S3 does not, replaced here:
// - it answers a PUT once the request's body has gone through, before its file is written: a HEAD
//   right after may find the object empty, and rclone's size check after an upload then fails at
//   random on a loaded machine ("corrupted on transfer: sizes differ 937 vs 0");
// - it writes an object, and the destination of a copy (rclone's server-side rename), in place,
//   a copy even removing the destination first: a reader meanwhile finds the object half written
//   or gone, where S3 replaces an object in one step (a kill test saw the archive missing).
// So each object is written beside its file, then renamed over it, before the answer.
const staged = (file) => `${file}.polyarchiv-test-staged`;

FilesystemStore.prototype.putObject = async function putObject(object) {
  const objectPath = this.getResourcePath(object.bucket, object.key, 'object');
  await mkdir(dirname(objectPath), { recursive: true });
  const md5 = createHash('md5');
  let size = 0;
  const counted = new Transform({
    transform(chunk, encoding, callback) {
      md5.update(chunk, encoding);
      size += chunk.length;
      callback(null, chunk);
    },
  });
  const content = Buffer.isBuffer(object.content) ? Readable.from([object.content]) : object.content;
  await pipeline(content, counted, createWriteStream(staged(objectPath)));
  await rename(staged(objectPath), objectPath);
  const digest = md5.digest('hex');
  await this.putMetadata(object.bucket, object.key, object.metadata, digest);
  return { size, md5: digest };
};

FilesystemStore.prototype.copyObject = async function copyObject(
  srcBucket,
  srcKey,
  destBucket,
  destKey,
  replacementMetadata,
) {
  const from = (kind) => this.getResourcePath(srcBucket, srcKey, kind);
  const to = (kind) => this.getResourcePath(destBucket, destKey, kind);
  if (from('object') !== to('object')) {
    await mkdir(dirname(to('object')), { recursive: true });
    await copyFile(from('object'), staged(to('object')));
    await rename(staged(to('object')), to('object'));
  }
  if (replacementMetadata) await this.putMetadata(destBucket, destKey, replacementMetadata);
  else if (from('object') !== to('object'))
    await Promise.all(['metadata.json', 'object.md5'].map((kind) => copyFile(from(kind), to(kind))));
  return this.getMetadata(destBucket, destKey);
};

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
