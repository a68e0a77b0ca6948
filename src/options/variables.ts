/**
 * Variables: `{name}` placeholders in any string option, `{{`/`}}` for
 * literal braces. Built-ins are computed once from the plan's pinned time and host facts.
 */

import { didYouMean } from '../diag/did-you-mean.js';

export type Variables = Readonly<Record<string, string>>;

export interface HostFacts {
  readonly fqdn: string;
  readonly hostname: string;
  readonly username: string;
}

/** The strftime letters the original offers, in C-locale spelling. */
export const TIME_VARIABLES = [
  'a',
  'A',
  'w',
  'd',
  'b',
  'B',
  'm',
  'y',
  'Y',
  'H',
  'I',
  'p',
  'M',
  'S',
  'f',
  'z',
  'Z',
  'j',
  'U',
  'W',
  'c',
  'x',
  'X',
] as const;

export const HOST_VARIABLES = ['fqdn', 'hostname', 'username'] as const;

const DAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTH_NAMES = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** Local time with its offset, for people: `2026-11-26T18:00:00+01:00`. */
export function formatTimestamp(date: Date): string {
  return `${stateTimestamp(date)}${offsetText(date, ':')}`;
}

/** The original's state timestamp: local time, no offset (its parser refuses anything else). */
export function stateTimestamp(date: Date): string {
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
  );
}

export function offsetText(date: Date, separator: string): string {
  const minutes = -date.getTimezoneOffset();
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60))}${separator}${pad(abs % 60)}`;
}

let zoneFormat: Intl.DateTimeFormat | undefined;
/** Every unit of a plan records the same time: its zone name is worked out once. */
const zoneNames = new Map<number, string>();

function zoneAbbreviation(date: Date): string {
  const time = date.getTime();
  const known = zoneNames.get(time);
  if (known !== undefined) return known;
  // The first use of Intl costs about 30 ms of CPU (it loads the zone names); Date's own text
  // already names the zone of most servers, for which Intl says "UTC" too.
  let name = date.toString().endsWith('(Coordinated Universal Time)') ? 'UTC' : undefined;
  if (name === undefined) {
    zoneFormat ??= new Intl.DateTimeFormat('en-GB', { timeZoneName: 'short' });
    name = zoneFormat.formatToParts(date).find((p) => p.type === 'timeZoneName')?.value ?? '';
  }
  zoneNames.set(time, name);
  return name;
}

export function timeVariables(now: Date): Record<string, string> {
  return timeLetters(now, zoneAbbreviation(now));
}

function timeLetters(now: Date, zone: string): Record<string, string> {
  const year = now.getFullYear();
  const startOfYear = new Date(year, 0, 1);
  const yday = Math.round(
    (new Date(year, now.getMonth(), now.getDate()).getTime() - startOfYear.getTime()) / 86_400_000,
  );
  const wday = now.getDay();
  const hour12 = now.getHours() % 12 === 0 ? 12 : now.getHours() % 12;
  const a = (DAY_NAMES[wday] ?? '').slice(0, 3);
  const b = (MONTH_NAMES[now.getMonth()] ?? '').slice(0, 3);
  const time = `${pad(now.getHours())}:${pad(now.getMinutes())}:${pad(now.getSeconds())}`;
  return {
    a,
    A: DAY_NAMES[wday] ?? '',
    w: String(wday),
    d: pad(now.getDate()),
    b,
    B: MONTH_NAMES[now.getMonth()] ?? '',
    m: pad(now.getMonth() + 1),
    y: pad(year % 100),
    Y: String(year),
    H: pad(now.getHours()),
    I: pad(hour12),
    p: now.getHours() < 12 ? 'AM' : 'PM',
    M: pad(now.getMinutes()),
    S: pad(now.getSeconds()),
    f: pad(now.getMilliseconds() * 1000, 6),
    z: offsetText(now, ''),
    Z: zone,
    j: pad(yday + 1, 3),
    U: pad(Math.floor((yday + 7 - wday) / 7)),
    W: pad(Math.floor((yday + 7 - ((wday + 6) % 7)) / 7)),
    c: `${a} ${b} ${String(now.getDate()).padStart(2, ' ')} ${time} ${year}`,
    x: `${pad(now.getMonth() + 1)}/${pad(now.getDate())}/${pad(year % 100)}`,
    X: time,
  };
}

/**
 * The zone name costs the first use of Intl (tens of milliseconds), which a run that formats no
 * `{Z}` and records no state never needs: the built-ins hold this stand-in (a NUL, which no
 * configuration value or argument holds, then the time) and `variableValue` resolves it on reading.
 */
const LATER_ZONE = '\u0000zone@';

export function builtinVariables(now: Date, host: HostFacts): Record<string, string> {
  return { ...host, ...timeLetters(now, `${LATER_ZONE}${now.getTime()}`) };
}

/** A variable's value, with the zone name worked out if it was left for later. */
export function variableValue(variables: Variables, name: string): string | undefined {
  const value = variables[name];
  return value?.startsWith(LATER_ZONE)
    ? zoneAbbreviation(new Date(Number(value.slice(LATER_ZONE.length))))
    : value;
}

/** The variables a run records, in the order it records them. */
const RECORDED_VARIABLES: readonly string[] = [...HOST_VARIABLES, ...TIME_VARIABLES];

/** The time and host variables a run records, so that a later run can find its dated copies again. */
export function recordedVariables(variables: Variables): Variables {
  const recorded: Record<string, string> = {};
  for (const key of RECORDED_VARIABLES) {
    const value = variableValue(variables, key);
    if (value !== undefined) recorded[key] = value;
  }
  return recorded;
}

/**
 * The same for two sets of variables exactly when they record the same values: a key to share
 * what is made of them, worked out without building the recorded object. Each value is preceded
 * by its length, so that no value, whatever it holds, reads as the end of another.
 */
export function recordedKey(variables: Variables): string {
  let key = '';
  for (const name of RECORDED_VARIABLES) {
    const value = variables[name];
    key += value === undefined ? '-' : `${value.length}:${value}`;
  }
  return key;
}

/** The names a template refers to (`{name}`), without the literal braces `{{` and `}}`. */
export function templateFields(template: string): string[] {
  return [
    ...template
      .replaceAll('{{', '')
      .replaceAll('}}', '')
      .matchAll(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g),
  ].map((match) => match[1] as string);
}

/** The time variables a template names (`{Y}`, `{m}`...), in its order. */
export function timeFields(template: string): string[] {
  const times: readonly string[] = TIME_VARIABLES;
  return templateFields(template).filter((field) => times.includes(field));
}

export type FormatResult =
  | { readonly ok: true; readonly text: string }
  | {
      readonly ok: false;
      readonly message: string;
      readonly hint?: string;
      /** The text between the braces that is not a variable reference, when there is one. */
      readonly field?: string;
    };

/** Python `str.format` restricted to plain `{name}` fields, which is all the original's configs use. */
export function formatTemplate(template: string, variables: Variables): FormatResult {
  if (!template.includes('{') && !template.includes('}')) return { ok: true, text: template };
  let text = '';
  // The text between braces is copied a run at a time: thousands of pairs format their URLs.
  let copied = 0;
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    if (c !== '{' && c !== '}') continue;
    text += template.slice(copied, i);
    if (c === '{' && template[i + 1] === '{') {
      text += '{';
      i++;
    } else if (c === '}' && template[i + 1] === '}') {
      text += '}';
      i++;
    } else if (c === '{') {
      const end = template.indexOf('}', i);
      if (end < 0) return { ok: false, message: "unmatched '{'", hint: 'write {{ for a literal brace' };
      const field = template.slice(i + 1, end);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(field)) {
        return {
          ok: false,
          message: `invalid variable reference '{${field}}'`,
          hint: 'expected {name}; write {{ for a literal brace',
          field,
        };
      }
      const value = variableValue(variables, field);
      if (value === undefined) {
        return {
          ok: false,
          message: `unknown variable '{${field}}'`,
          hint: suggestVariable(field, variables),
          field,
        };
      }
      text += value;
      i = end;
    } else {
      return { ok: false, message: "unmatched '}'", hint: 'write }} for a literal brace' };
    }
    copied = i + 1;
  }
  return { ok: true, text: text + template.slice(copied) };
}

function suggestVariable(field: string, variables: Variables): string {
  const lower = Object.keys(variables).find((k) => k.toLowerCase() === field.toLowerCase());
  if (lower !== undefined) return `did you mean '{${lower}}'?`;
  const known = `known variables: ${Object.keys(variables).sort().join(', ')}`;
  // The one-letter date fields are no likely intent for a misspelt word.
  const guess =
    field.length > 1
      ? didYouMean(
          field,
          Object.keys(variables).filter((k) => k.length > 1),
        )
      : undefined;
  return guess === undefined ? known : `did you mean '{${guess}}'? ${known}`;
}
