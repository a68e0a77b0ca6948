import type { SecretPart, Word } from '../../graph/command.js';
import type { OptionSpec } from '../../options/schema.js';
import { shellSplit } from '../../options/shell-split.js';
import type { BoundHook, HookFiles, RuntimeText, RuntimeVariable } from '../engine.js';

/**
 * curl reads its options from a private file (`--config`), so that a password never reaches its
 * argv and the run's variables are filled in when the hook runs. Values are written as curl's
 * quoted strings: a backslash and a double quote are escaped, a line break becomes `\n`, so no
 * value (a log line, a status) can start an option of its own.
 */
export function configLine(name: string, value: RuntimeText | string, files: HookFiles): SecretPart[] {
  const parts = typeof value === 'string' ? [value] : value;
  return [
    `${name} = "`,
    ...parts.map((part) =>
      typeof part === 'string'
        ? part.replace(/[\\"]/g, '\\$&')
        : { fileText: files.runtime(part.runtime), escape: '\\"', newline: '\\n' },
    ),
    '"\n',
  ];
}

/** `user = "NAME:PASSWORD"`, the password from its secret variable. */
export function userLine(hook: BoundHook): SecretPart[] {
  const username = hook.options.optionalString('username') ?? '';
  const secret = hook.secrets.password;
  if (username === '' || secret === undefined) return [];
  return [`user = "${username.replace(/[\\"]/g, '\\$&')}:`, { secret, escape: '\\"' }, '"\n'];
}

/** The options that `tlsLines` reads. */
export const TLS_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'cafile',
    type: 'string',
    help: "CA bundle that verifies the server, or 'ignore' to skip verification; empty: the system's CAs.",
  },
  { name: 'certfile', type: 'string', help: 'Client certificate (PEM).' },
  { name: 'keyfile', type: 'string', help: "Client certificate's private key (PEM)." },
];

/** The TLS options shared by the http and email hooks: CA bundle (or `ignore`), client certificate. */
export function tlsLines(hook: BoundHook, files: HookFiles): SecretPart[] {
  const cafile = hook.options.optionalString('cafile') ?? '';
  const certfile = hook.options.optionalString('certfile') ?? '';
  const keyfile = hook.options.optionalString('keyfile') ?? '';
  return [
    ...(cafile === 'ignore' ? ['insecure\n'] : cafile === '' ? [] : configLine('cacert', cafile, files)),
    ...(certfile === '' ? [] : configLine('cert', certfile, files)),
    ...(keyfile === '' ? [] : configLine('key', keyfile, files)),
  ];
}

/** curl without the user's ~/.curlrc (`--disable` must come first), reading `config`. */
export function curlArgv(config: string): Word[] {
  return ['curl', '--disable', '--config', { prefix: '', workFile: config }, '--silent', '--show-error'];
}

/** A text split into shell words (quotes allowed), its runtime parts kept; undefined on an open quote. */
export function splitWords(text: RuntimeText): RuntimeText[] | undefined {
  const marked = text.map((part, i) => (typeof part === 'string' ? part : `\u0001${i}\u0001`)).join('');
  return shellSplit(marked)?.map((word) =>
    word
      .split('\u0001')
      .map((piece, j) => (j % 2 === 1 ? (text[Number(piece)] as { runtime: RuntimeVariable }) : piece))
      .filter((piece) => piece !== ''),
  );
}
