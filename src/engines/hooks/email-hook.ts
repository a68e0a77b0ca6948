import type { Diagnostics } from '../../diag/diagnostic.js';
import type { ActionDraft } from '../../graph/action.js';
import type { SecretPart } from '../../graph/command.js';
import type { OptionValues } from '../../options/schema.js';
import type { BoundHook, HookEngine, HookFiles, RuntimeText } from '../engine.js';
import { configLine, curlArgv, TLS_OPTIONS, tlsLines, userLine } from './curl-config.js';
import { HOOK_OPTIONS } from './hook-options.js';

/**
 * A plain-text message sent by curl's SMTP client: the message is a private file written when the
 * hook runs, the server, envelope and password a private curl configuration file. TLS (implicit,
 * or STARTTLS required) verifies the server's certificate unless `cafile = ignore`.
 */
export const emailHook: HookEngine = {
  role: 'hook',
  name: 'email',
  summary: 'Send a plain-text e-mail over SMTP (curl), with the status and output of the phase.',
  options: [
    ...HOOK_OPTIONS,
    { name: 'recipient', type: 'list', required: true, help: 'Comma-separated addresses (To:).' },
    {
      name: 'subject',
      type: 'string',
      default: '[BACKUP][{fqdn}] {Y}/{m}/{d} {H}:{M} [{status}]',
      help: "The subject; {variables}, the run's included.",
    },
    {
      name: 'content',
      type: 'text',
      default: '{detailed_status}\n\n{complete_log}',
      help: "The message's text; {variables}, the run's included.",
    },
    { name: 'sender', type: 'string', default: '{username}@{fqdn}', help: 'The From: address.' },
    { name: 'hostname', type: 'string', default: 'localhost', help: 'The SMTP server.' },
    {
      name: 'port',
      type: 'integer',
      default: '0',
      range: [0, 65535],
      help: "The SMTP server's port; 0: 25, or 465 with encryption = tls.",
    },
    { name: 'username', type: 'string', help: 'SMTP user (AUTH, with password).' },
    {
      name: 'password',
      type: 'string',
      secret: true,
      variables: false,
      help: 'SMTP password, given to curl in a private file.',
    },
    {
      name: 'encryption',
      type: 'choice',
      choices: ['none', 'starttls', 'tls'],
      default: 'none',
      help: "'none', 'starttls' (required: no message is sent in clear) or 'tls' (implicit TLS, smtps).",
    },
    ...TLS_OPTIONS,
  ],
  runtimeTemplates: ['subject', 'content'],
  ownerTemplates: ['recipient', 'sender', 'hostname', 'username', 'cafile', 'certfile', 'keyfile'],
  check: (options: OptionValues, diagnostics: Diagnostics) => {
    if (!/^[A-Za-z0-9.-]+$|^\[[0-9A-Fa-f:.]+\]$/.test(options.string('hostname')))
      diagnostics.error(
        `bad value for option 'hostname': '${options.string('hostname')}'`,
        options.origin('hostname'),
        'expected a host name, an IPv4 address or a bracketed IPv6 address',
      );
  },
  actions: (hook: BoundHook, files: HookFiles): ActionDraft[] => {
    const encryption = hook.options.string('encryption');
    const port = hook.options.integer('port');
    const url = `${encryption === 'tls' ? 'smtps' : 'smtp'}://${hook.options.string('hostname')}${port === 0 ? '' : `:${port}`}`;
    const sender = hook.options.string('sender');
    const recipients = hook.options.list('recipient');
    const config: SecretPart[] = [
      ...configLine('url', url, files),
      ...(encryption === 'none' ? [] : ['ssl-reqd\n']),
      ...configLine('mail-from', address(sender), files),
      ...recipients.flatMap((recipient) => configLine('mail-rcpt', address(recipient), files)),
      ...userLine(hook),
      ...tlsLines(hook, files),
    ];
    const text = (value: RuntimeText | undefined, newline: string): SecretPart[] =>
      (value ?? []).map((part) =>
        typeof part === 'string' ? part : { fileText: files.runtime(part.runtime), escape: '', newline },
      );
    const message: SecretPart[] = [
      `From: ${sender}\nTo: ${recipients.join(', ')}\nSubject: `,
      // A header is one line: a status or a log in the subject cannot add headers.
      ...text(hook.texts.subject, ' '),
      '\nDate: ',
      { fileText: files.runtime('date'), escape: '', newline: ' ' },
      '\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n',
      ...text(hook.texts.content, '\n'),
      '\n',
    ];
    return [
      {
        kind: 'private-file',
        origin: hook.origin,
        summary: `write the SMTP session of hook "${hook.name}"`,
        workFile: files.own('curl'),
        parts: config,
      },
      {
        kind: 'private-file',
        origin: hook.origin,
        summary: `write the message of hook "${hook.name}"`,
        workFile: files.own('message'),
        parts: message,
      },
      {
        kind: 'run',
        origin: hook.origin,
        summary: `send the message of hook "${hook.name}"`,
        // --crlf: SMTP lines end with CRLF; curl escapes a line that starts with a dot itself.
        argv: [
          ...curlArgv(files.own('curl')),
          '--crlf',
          '--upload-file',
          { prefix: '', workFile: files.own('message') },
        ],
        timeout: hook.timeout,
      },
    ];
  },
};

/** The address of `Name <address>`, or the whole text. */
function address(text: string): string {
  return /<([^<>]*)>\s*$/.exec(text)?.[1] ?? text.trim();
}
