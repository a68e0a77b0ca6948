import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../src/diag/diagnostic.js';
import {
  builtinVariables,
  formatTemplate,
  TIME_VARIABLES,
  timeVariables,
  variableValue,
} from '../../src/options/variables.js';
import { loadConfiguration } from '../../src/pipeline.js';
import { makeSandbox } from '../helpers/sandbox.js';

describe('formatTemplate', () => {
  const vars = { name: 'site', host: 'web1', Y: '2026' };

  it('replaces {name} placeholders', () => {
    expect(formatTemplate('/srv/{host}/{name}-{Y}', vars)).toEqual({ ok: true, text: '/srv/web1/site-2026' });
  });

  it('leaves text without placeholders unchanged', () => {
    expect(formatTemplate('plain %s text $HOME', vars)).toEqual({ ok: true, text: 'plain %s text $HOME' });
  });

  it('writes {{ and }} as literal braces', () => {
    expect(formatTemplate('{{name}} {{{name}}} }}{{', vars)).toEqual({ ok: true, text: '{name} {site} }{' });
  });

  it('inserts values verbatim, without formatting them again', () => {
    expect(formatTemplate('{a}', { a: '{b}', b: 'no' })).toEqual({ ok: true, text: '{b}' });
  });

  it('reports an unknown variable with the closest known name and the sorted list of them', () => {
    expect(formatTemplate('/srv/{nme}', vars)).toEqual({
      ok: false,
      message: "unknown variable '{nme}'",
      hint: "did you mean '{name}'? known variables: Y, host, name",
      field: 'nme',
    });
    // No one-letter date field is offered for a word, nor anything far from it.
    expect(formatTemplate('/srv/{Yr}', vars)).toMatchObject({ hint: 'known variables: Y, host, name' });
    expect(formatTemplate('/srv/{group}', vars)).toMatchObject({ hint: 'known variables: Y, host, name' });
  });

  it('suggests a variable that differs only in case', () => {
    expect(formatTemplate('{NAME}', vars)).toEqual({
      ok: false,
      message: "unknown variable '{NAME}'",
      hint: "did you mean '{name}'?",
      field: 'NAME',
    });
  });

  it('reports an unmatched {', () => {
    expect(formatTemplate('/srv/{name', vars)).toEqual({
      ok: false,
      message: "unmatched '{'",
      hint: 'write {{ for a literal brace',
    });
  });

  it('reports an unmatched }', () => {
    expect(formatTemplate('/srv/{name}}', vars)).toEqual({
      ok: false,
      message: "unmatched '}'",
      hint: 'write }} for a literal brace',
    });
  });

  it.each(['{}', '{0}', '{name:>10}', '{name!r}', '{a.b}', '{ name }'])(
    'rejects the field %s, which is not a plain {name}',
    (template) => {
      expect(formatTemplate(template, vars)).toEqual({
        ok: false,
        message: `invalid variable reference '${template}'`,
        hint: 'expected {name}; write {{ for a literal brace',
        field: template.slice(1, -1),
      });
    },
  );
});

describe('timeVariables', () => {
  it('runs in Europe/Paris, as vitest.config.ts pins it', () => {
    expect(new Date('2026-01-15T12:00:00Z').getTimezoneOffset()).toBe(-60);
    expect(new Date('2026-07-15T12:00:00Z').getTimezoneOffset()).toBe(-120);
  });

  it('gives all 23 strftime letters of a pinned local time', () => {
    expect(timeVariables(new Date('2026-03-10T04:05:06.789+01:00'))).toEqual({
      a: 'Tue',
      A: 'Tuesday',
      w: '2',
      d: '10',
      b: 'Mar',
      B: 'March',
      m: '03',
      y: '26',
      Y: '2026',
      H: '04',
      I: '04',
      p: 'AM',
      M: '05',
      S: '06',
      f: '789000',
      // The original's naive datetime left z and Z empty; here they are the local offset and zone.
      z: '+0100',
      Z: 'CET',
      j: '069',
      U: '10',
      W: '10',
      c: 'Tue Mar 10 04:05:06 2026',
      x: '03/10/26',
      X: '04:05:06',
    });
  });

  it('offers exactly the letters of TIME_VARIABLES', () => {
    expect(Object.keys(timeVariables(new Date())).sort()).toEqual([...TIME_VARIABLES].sort());
    expect(TIME_VARIABLES).toHaveLength(23);
  });

  it('uses the summer offset and zone name', () => {
    const t = timeVariables(new Date('2026-07-14T09:30:00+02:00'));
    expect([t.z, t.Z, t.H, t.j, t.U, t.W]).toEqual(['+0200', 'CEST', '09', '195', '28', '28']);
  });

  it.each([
    ['UTC', '2026-02-01T10:00:00Z'],
    ['Etc/UTC', '2026-02-02T10:00:00Z'],
  ])('names the zone %s UTC, as Intl does', (zone, iso) => {
    const pinned = process.env.TZ;
    process.env.TZ = zone;
    try {
      const date = new Date(iso);
      const intl = new Intl.DateTimeFormat('en-GB', { timeZoneName: 'short' })
        .formatToParts(date)
        .find((part) => part.type === 'timeZoneName')?.value;
      expect(timeVariables(date).Z).toBe(intl);
    } finally {
      process.env.TZ = pinned;
    }
  });

  // Expected values from Python's strftime for the same naive local times.
  it.each([
    ['2026-01-04T13:00:00+01:00', '004', '01', '00', '01', 'PM', '0', 'Sun Jan  4 13:00:00 2026', '01/04/26'],
    ['2026-01-01T00:07:00+01:00', '001', '00', '00', '12', 'AM', '4', 'Thu Jan  1 00:07:00 2026', '01/01/26'],
    ['2024-12-31T12:00:00+01:00', '366', '52', '53', '12', 'PM', '2', 'Tue Dec 31 12:00:00 2024', '12/31/24'],
    ['2026-12-31T23:59:59+01:00', '365', '52', '52', '11', 'PM', '4', 'Thu Dec 31 23:59:59 2026', '12/31/26'],
    ['2023-01-01T00:00:00+01:00', '001', '01', '00', '12', 'AM', '0', 'Sun Jan  1 00:00:00 2023', '01/01/23'],
    ['2026-03-29T03:30:00+02:00', '088', '13', '12', '03', 'AM', '0', 'Sun Mar 29 03:30:00 2026', '03/29/26'],
    ['2026-10-25T02:30:00+01:00', '298', '43', '42', '02', 'AM', '0', 'Sun Oct 25 02:30:00 2026', '10/25/26'],
  ])('computes j U W I p w c x for %s as Python does', (iso, j, U, W, I, p, w, c, x) => {
    const t = timeVariables(new Date(iso));
    expect({ j: t.j, U: t.U, W: t.W, I: t.I, p: t.p, w: t.w, c: t.c, x: t.x }).toEqual({
      j,
      U,
      W,
      I,
      p,
      w,
      c,
      x,
    });
  });

  it('adds the host facts to the time letters', () => {
    const vars = builtinVariables(new Date('2026-03-10T04:05:06+01:00'), {
      fqdn: 'web1.example.org',
      hostname: 'web1',
      username: 'backup',
    });
    expect([vars.fqdn, vars.hostname, vars.username, vars.Y]).toEqual([
      'web1.example.org',
      'web1',
      'backup',
      '2026',
    ]);
  });
});

describe('variable precedence in a resolved configuration', () => {
  const NOW = new Date('2026-03-10T04:05:06+01:00');

  function resolve(files: Record<string, string>, pinned: Record<string, string> = {}) {
    const sandbox = makeSandbox();
    try {
      sandbox.write(files);
      const { diagnostics, config } = loadConfiguration(sandbox.root, NOW, pinned);
      expect(diagnostics.items.map(formatDiagnostic)).toEqual([]);
      return config;
    } finally {
      sandbox.remove();
    }
  }

  const collect = (name: string, variables = '') =>
    `[point]\nengine=files\nlocal_path=/srv/collect/${name}\n${variables === '' ? '' : `[variables]\n${variables}`}`;

  it('expands built-ins and {name} in local_path', () => {
    const config = resolve({ 'site.collect': '[point]\nengine=files\nlocal_path=/srv/{name}/{Y}-{m}\n' });
    expect(config.collectPoints[0]?.layout.root).toBe('/srv/site/2026-03');
  });

  it('expands the zone name {Z}, which is worked out only when a value uses it', () => {
    const config = resolve({
      'site.collect': '[point]\nengine=files\nlocal_path=/srv/{name}/{Z}\n',
      'mirror.backup': '[point]\nengine=synchronize\nremote_url=/b/{name}-{Z}\n',
    });
    expect(config.collectPoints[0]?.layout.root).toBe('/srv/site/CET');
    expect(config.pairs[0]?.options.string('remote_url')).toBe('/b/site-CET');
    expect(variableValue(config.collectPoints[0]?.variables ?? {}, 'Z')).toBe('CET');
  });

  it('lets a [variables] or --set Z replace the zone name', () => {
    const config = resolve(
      { 'site.collect': '[point]\nengine=files\nlocal_path=/srv/{Z}\n[variables]\nz=+9999\n' },
      { Z: 'pinned' },
    );
    expect(config.collectPoints[0]?.layout.root).toBe('/srv/pinned');
  });

  it('lets the collect point [variables] override the built-ins and name', () => {
    const config = resolve(
      {
        'site.collect':
          '[point]\nengine=files\nlocal_path=/srv/{name}/{hostname}\n[variables]\nhostname=mine\nname=renamed\n',
      },
      {},
    );
    expect(config.collectPoints[0]?.layout.root).toBe('/srv/renamed/mine');
  });

  it('lower-cases [variables] keys, so Y=... overrides the two-digit {y}, not {Y}', () => {
    const config = resolve({
      'site.collect': '[point]\nengine=files\nlocal_path=/srv/{Y}-{y}\n[variables]\nY=1999\n',
    });
    expect(config.collectPoints[0]?.layout.root).toBe('/srv/2026-1999');
  });

  it('lets a pinned --set variable win over [variables] and built-ins', () => {
    const config = resolve(
      {
        'site.collect':
          '[point]\nengine=files\nlocal_path=/srv/{hostname}/{Y}/{root}\n[variables]\nhostname=mine\n',
      },
      { hostname: 'pinned', Y: '1970', root: 'r' },
    );
    expect(config.collectPoints[0]?.layout.root).toBe('/srv/pinned/1970/r');
  });

  it('renders a backup point per collect point: own [variables] < collect point < [variables "cp"] < --set', () => {
    const config = resolve(
      {
        'other.collect': collect('other'),
        'site.collect': collect('site', 'group=cp-group\nregion=eu\n'),
        'mirror.backup': [
          '[point]',
          'engine=synchronize',
          'remote_url=file:///b/{group}/{region}/{name}/{Y}/{tier}',
          '[variables]',
          'group=bp-group',
          'region=bp-region',
          'tier=bp-tier',
          '[variables "site"]',
          'group=site-override',
          'tier=site-tier',
          '',
        ].join('\n'),
      },
      { tier: 'pinned-tier' },
    );
    expect(config.pairs.map((p) => [p.collectPoint, p.options.string('remote_url')])).toEqual([
      ['other', 'file:///b/bp-group/bp-region/other/2026/pinned-tier'],
      ['site', 'file:///b/site-override/eu/site/2026/pinned-tier'],
    ]);
  });

  it('gives {name} the collect point name in a backup point, not the backup point name', () => {
    const config = resolve({
      'site.collect': collect('site'),
      'mirror.backup': '[point]\nengine=synchronize\nremote_url=/b/{name}\n',
    });
    expect(config.pairs[0]?.options.string('remote_url')).toBe('/b/site');
  });

  it('lets [variables "cp"] override even a variable the collect point defines', () => {
    const config = resolve({
      'site.collect': collect('site', 'group=cp-group\n'),
      'mirror.backup':
        '[point]\nengine=synchronize\nremote_url=/b/{group}\n[variables "site"]\ngroup=bp-for-site\n',
    });
    expect(config.pairs[0]?.options.string('remote_url')).toBe('/b/bp-for-site');
  });
});
