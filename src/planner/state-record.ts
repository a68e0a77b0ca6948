import { recordedKey, recordedVariables, type Variables } from '../options/variables.js';
import { nextStateTemplates, type PointState, type StateTemplates } from '../state/point-state.js';

/**
 * The state templates of a plan's units. Points that have not run yet share one previous state,
 * and every point of a run records the same time and host: their templates are the same text,
 * made once and shared, which a plan of thousands of units would otherwise hold thousands of times.
 */
export class StateRecords {
  private readonly made = new WeakMap<PointState, Map<string, StateTemplates>>();
  /** The units of a collect point share one set of variables, unless a backup point adds its own. */
  private readonly keys = new WeakMap<Variables, string>();

  constructor(private readonly configHash: string) {}

  templates(
    previous: PointState,
    variables: Variables,
    measured: boolean,
    history?: { readonly recorded: unknown },
    copies = false,
  ): StateTemplates {
    // A history is the point's own: nothing to share.
    if (history !== undefined)
      return nextStateTemplates(
        previous,
        this.configHash,
        recordedVariables(variables),
        measured,
        history,
        copies,
      );
    // Thousands of units share a handful of keys: the recorded object is built once for each.
    const key = `${measured} ${copies} ${this.recordedKey(variables)}`;
    let byKey = this.made.get(previous);
    if (byKey === undefined) {
      byKey = new Map();
      this.made.set(previous, byKey);
    }
    let templates = byKey.get(key);
    if (templates === undefined) {
      const recorded = recordedVariables(variables);
      templates = nextStateTemplates(previous, this.configHash, recorded, measured, undefined, copies);
      byKey.set(key, templates);
    }
    return templates;
  }

  private recordedKey(variables: Variables): string {
    let key = this.keys.get(variables);
    if (key === undefined) {
      key = recordedKey(variables);
      this.keys.set(variables, key);
    }
    return key;
  }
}
