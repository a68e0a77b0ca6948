// An S3-compatible server for the tests, in a process of its own (a test that blocks in
// spawnSync must not stop it): s3rver serving DIRECTORY on 127.0.0.1:PORT with the bucket BUCKET.
// s3rver knows the access key id S3RVER only and does not verify request signatures: any secret
// key is accepted.
import S3rver from 's3rver';

const [directory, port, bucket] = process.argv.slice(2);
const server = new S3rver({
  address: '127.0.0.1',
  port: Number(port),
  directory,
  silent: true,
  configureBuckets: [{ name: bucket }],
});
await server.run();
