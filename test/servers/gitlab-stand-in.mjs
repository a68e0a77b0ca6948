// A stand-in for the few GitLab REST API v4 endpoints polyarchiv calls, run as its own process
// (the tests run polyarchiv synchronously). Started by gitlab-api.ts with one JSON argument; prints
// its port once it listens; appends one JSON line per API request to `log`.
import { spawnSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { join } from 'node:path';

const config = JSON.parse(process.argv[2] ?? '{}');
const prefix = config.prefix;
const api = `${prefix}/api/v4/`;
const tokens = new Set(config.tokens);
const readOnly = new Set(config.readOnlyTokens ?? []);
const namespaces = new Map(Object.entries(config.namespaces ?? {}));
const projects = new Set(config.projects ?? []);

const server = createServer((req, res) => {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  if (!path.startsWith(api)) {
    relay(req, res);
    return;
  }
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk) => {
    body += chunk;
  });
  req.on('end', () =>
    setTimeout(() => {
      const [status, answer, form] = route(req.method ?? '', path.slice(api.length), req, body);
      appendFileSync(config.log, `${JSON.stringify({ request: `${req.method} ${path}`, status, form })}\n`);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer));
    }, config.delayMs ?? 0),
  );
});

/** GitLab's answers as its v4 documentation gives them: [status, body, form of a creation]. */
function route(method, rest, req, body) {
  const token = req.headers['private-token'];
  if (typeof token !== 'string' || !tokens.has(token)) return [401, { message: '401 Unauthorized' }];
  const [collection, ...parts] = rest.split('/');
  const id = decodeURIComponent(parts.join('/'));
  if (method === 'GET' && collection === 'projects' && parts.length === 1)
    return projects.has(id)
      ? [200, { id: 1, path_with_namespace: id, visibility: 'private' }]
      : [404, { message: '404 Project Not Found' }];
  if (method === 'GET' && collection === 'namespaces' && parts.length === 1) {
    const nsId = namespaces.get(id);
    return nsId === undefined
      ? [404, { message: '404 Namespace Not Found' }]
      : [
          200,
          { id: nsId, name: id, path: id.split('/').pop(), kind: 'group', full_path: id, parent_id: null },
        ];
  }
  if (method === 'POST' && collection === 'projects' && parts.length === 0) {
    const form = Object.fromEntries(new URLSearchParams(body));
    if (readOnly.has(token)) return [403, { message: '403 Forbidden' }, form];
    const namespace = [...namespaces].find(([, nsId]) => String(nsId) === form.namespace_id)?.[0];
    if (namespace === undefined || !form.path || !form.name)
      return [400, { message: 'namespace_id, name and path are required' }, form];
    const full = `${namespace}/${form.path}`;
    if (projects.has(full)) return [400, { message: { path: ['has already been taken'] } }, form];
    const init = spawnSync('git', ['init', '-q', '--bare', join(config.repos, `${full}.git`)]);
    if (init.status !== 0) return [500, { message: String(init.stderr) }, form];
    projects.add(full);
    return [201, { id: 2, path_with_namespace: full, visibility: form.visibility }, form];
  }
  return [404, { error: '404 Not Found' }];
}

/** A git request under the prefix, passed to git's smart HTTP as it came (authorization included). */
function relay(req, res) {
  if (config.gitPort === undefined) {
    res.writeHead(404);
    res.end();
    return;
  }
  const upstream = request(
    {
      host: '127.0.0.1',
      port: config.gitPort,
      method: req.method,
      path: `${config.gitPath ?? '/git'}${(req.url ?? '/').slice(prefix.length)}`,
      headers: req.headers,
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on('error', () => {
    res.writeHead(502);
    res.end();
  });
  req.pipe(upstream);
}

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${server.address().port}\n`);
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
