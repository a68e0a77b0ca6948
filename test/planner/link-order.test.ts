import { describe, expect, it } from 'vitest';
import type { Action, ActionDraft } from '../../src/graph/action.js';
import { linkUnit } from '../../src/planner/link.js';
import { orderActions } from '../../src/planner/order.js';

const origin = { file: 'site.collect', line: 1 };
const rsync = (to: string): ActionDraft => ({
  kind: 'rsync',
  from: '/src',
  to,
  deleteExtraneous: true,
  hardLinks: false,
  filters: [],
  origin,
  summary: `copy to ${to}`,
});
const mkdir = (path: string): ActionDraft => ({ kind: 'mkdir', path, origin, summary: `create ${path}` });

describe('link', () => {
  it('adds the mkdir a writer needs before it', () => {
    const linked = linkUnit('u', [rsync('/cp/work/a.new')]);
    expect(linked.map((a) => [a.id, a.kind, a.kind === 'mkdir' ? a.path : ''])).toEqual([
      ['u/1', 'mkdir', '/cp/work'],
      ['u/2', 'rsync', ''],
    ]);
    expect(linked[1]?.after).toEqual(['u/1']);
  });

  it('does not add a mkdir that an earlier mkdir -p already covers', () => {
    const linked = linkUnit('u', [mkdir('/cp/backups/data'), rsync('/cp/backups/data.new')]);
    expect(linked.filter((a) => a.kind === 'mkdir').map((a) => (a.kind === 'mkdir' ? a.path : ''))).toEqual([
      '/cp/backups/data',
    ]);
  });

  it('drops a mkdir of a directory that a deeper mkdir already created', () => {
    const linked = linkUnit('u', [mkdir('/cp/backups/data'), mkdir('/cp/backups')]);
    expect(linked).toHaveLength(1);
  });
});

describe('order', () => {
  const action = (id: string, after: string[]): Action => ({
    ...mkdir(`/${id}`),
    kind: 'mkdir',
    path: `/${id}`,
    id,
    after,
  });

  it('keeps lowering order among independent actions', () => {
    expect(orderActions([action('a', []), action('b', []), action('c', [])]).map((a) => a.id)).toEqual([
      'a',
      'b',
      'c',
    ]);
  });

  it('moves an action after its dependencies, stably', () => {
    expect(orderActions([action('a', ['c']), action('b', []), action('c', [])]).map((a) => a.id)).toEqual([
      'b',
      'c',
      'a',
    ]);
  });

  it('refuses a cycle', () => {
    expect(() => orderActions([action('a', ['b']), action('b', ['a'])])).toThrow(
      'dependency cycle among a, b',
    );
  });
});
