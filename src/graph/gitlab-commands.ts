import type { GitlabProjectSpec } from './action.js';
import type { Command, ToolPaths, Word } from './command.js';

/**
 * The token reaches curl in a config file of the private work directory (curl's quoted string:
 * backslash and double quote escaped), never on argv; `-q` first keeps the user's ~/.curlrc out.
 * Each request prints its answer's HTTP status and nothing else: the helper judges it.
 */
export function gitlabProjectCommands(spec: GitlabProjectSpec, tools: ToolPaths): Command[] {
  // Two gitlab units running side by side each have their own files.
  const tokenFile = `${spec.workFiles}.token`;
  const answerFile = `${spec.workFiles}.answer`;
  const namespaceIdFile = `${spec.workFiles}.namespace-id`;
  const slash = spec.project.lastIndexOf('/');
  const namespace = spec.project.slice(0, slash);
  const name = spec.project.slice(slash + 1);
  const answer: Word = { prefix: '', workFile: answerFile };
  const request = (output: Word, url: string, ...data: Word[]): Word[] => [
    tools.curl ?? 'curl',
    '-q',
    '--silent',
    '--show-error',
    '--connect-timeout',
    '30',
    '--max-time',
    '300',
    '--config',
    { prefix: '', workFile: tokenFile },
    '--output',
    output,
    '--write-out',
    '%{http_code}',
    ...data,
    '--url',
    url,
  ];
  return [
    {
      kind: 'private-file',
      workFile: tokenFile,
      parts: ['header = "PRIVATE-TOKEN: ', { secret: spec.tokenSecret, escape: '\\"' }, '"\n'],
    },
    {
      kind: 'gitlab-project',
      project: spec.project,
      tokenOption: spec.tokenOption,
      answer,
      namespaceId: { prefix: '', workFile: namespaceIdFile },
      find: request('/dev/null', `${spec.api}/projects/${encodeURIComponent(spec.project)}`),
      namespace: request(answer, `${spec.api}/namespaces/${encodeURIComponent(namespace)}`),
      create: request(
        answer,
        `${spec.api}/projects`,
        '--data-urlencode',
        `name=${name}`,
        '--data-urlencode',
        `path=${name}`,
        '--data-urlencode',
        { prefix: 'namespace_id@', workFile: namespaceIdFile },
        '--data-urlencode',
        'visibility=private',
      ),
    },
  ];
}
