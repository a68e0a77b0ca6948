import type { Diagnostics } from '../../diag/diagnostic.js';
import type { ActionDraft } from '../../graph/action.js';
import type { SecretPart } from '../../graph/command.js';
import type { OptionValues } from '../../options/schema.js';
import type { BoundHook, HookEngine, HookFiles, RuntimeText } from '../engine.js';
import { configLine, curlArgv, splitWords, TLS_OPTIONS, tlsLines, userLine } from './curl-config.js';
import { HOOK_OPTIONS } from './hook-options.js';

/**
 * An HTTP request sent with curl: a status of 400 or more, or no answer, fails the hook (the
 * original reported the opposite). The request's options are a private curl configuration file.
 */
export const httpHook: HookEngine = {
  role: 'hook',
  name: 'http',
  summary: 'Send an HTTP request (curl); a status >= 400 or no answer fails the hook.',
  options: [
    ...HOOK_OPTIONS,
    { name: 'url', type: 'url', required: true, help: "The request's URL; {variables}, the run's included." },
    {
      name: 'method',
      type: 'string',
      default: 'GET',
      help: 'The HTTP method (an upper-case word).',
    },
    {
      name: 'body',
      type: 'text',
      help: "The request's body, sent as is; {variables}, the run's included ({complete_log}...).",
    },
    {
      name: 'headers',
      type: 'string',
      help: "Headers as NAME=VALUE words, split like a shell command line (quotes allowed); {variables}, the run's included.",
    },
    { name: 'username', type: 'string', help: 'HTTP basic authentication user (with password).' },
    {
      name: 'password',
      type: 'string',
      secret: true,
      variables: false,
      help: 'HTTP basic authentication password, given to curl in a private file.',
    },
    ...TLS_OPTIONS,
    { name: 'proxy_url', type: 'string', help: 'Proxy to send the request through (curl --proxy).' },
  ],
  runtimeTemplates: ['url', 'body', 'headers'],
  ownerTemplates: ['method', 'username', 'cafile', 'certfile', 'keyfile', 'proxy_url'],
  check: (options: OptionValues, diagnostics: Diagnostics) => {
    if (!/^[A-Z]+$/.test(options.string('method')))
      diagnostics.error(
        `bad value for option 'method': '${options.string('method')}'`,
        options.origin('method'),
        'expected an upper-case word such as GET, POST or PUT',
      );
    const headers = splitWords([options.optionalString('headers') ?? '']);
    if (headers === undefined || headers.some((word) => !/^[A-Za-z0-9-]+=/.test(String(word[0]))))
      diagnostics.error(
        "option 'headers' is not a list of NAME=VALUE words",
        options.origin('headers'),
        'expected words such as Content-Type=application/json "X-Title=backup done", with balanced quotes',
      );
  },
  actions: (hook: BoundHook, files: HookFiles): ActionDraft[] => {
    const body = hook.texts.body;
    const config: SecretPart[] = [
      ...configLine('url', hook.texts.url ?? [], files),
      ...configLine('request', hook.options.string('method'), files),
      ...(splitWords(hook.texts.headers ?? []) ?? []).flatMap((word) =>
        configLine('header', header(word), files),
      ),
      ...userLine(hook),
      ...tlsLines(hook, files),
      ...(hook.options.optionalString('proxy_url')
        ? configLine('proxy', hook.options.string('proxy_url'), files)
        : []),
    ];
    return [
      {
        kind: 'private-file',
        origin: hook.origin,
        summary: `write the request of hook "${hook.name}"`,
        workFile: files.own('curl'),
        parts: config,
      },
      ...(body === undefined
        ? []
        : [
            {
              kind: 'private-file' as const,
              origin: hook.origin,
              summary: `write the body of hook "${hook.name}"`,
              workFile: files.own('body'),
              parts: body.map((part) =>
                typeof part === 'string'
                  ? part
                  : { fileText: files.runtime(part.runtime), escape: '', newline: '\n' },
              ),
            },
          ]),
      {
        kind: 'run',
        origin: hook.origin,
        summary: `send the request of hook "${hook.name}"`,
        argv: [
          ...curlArgv(files.own('curl')),
          '--fail-with-body',
          ...(body === undefined ? [] : ['--data-binary', { prefix: '@', workFile: files.own('body') }]),
        ],
        timeout: hook.timeout,
      },
    ];
  },
};

/** `NAME=VALUE` as curl's `NAME: VALUE`. */
function header(word: RuntimeText): RuntimeText {
  const [first, ...rest] = word;
  const text = String(first);
  const equals = text.indexOf('=');
  return [`${text.slice(0, equals)}: ${text.slice(equals + 1)}`, ...rest];
}
