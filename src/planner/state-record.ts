import { recordedKey, recordedVariables, type Variables } from '../options/variables.js';
import {
  EMPTY_STATE,
  nextStateTemplates,
  type PointState,
  type StateTemplates,
} from '../state/point-state.js';

/**
 * The state templates of a plan's units. Points that have not run yet share one previous state,
 * and every point of a run records the same time and host: their templates are the same text,
 * made once and shared, which a plan of thousands of units would otherwise hold thousands of times.
 * A point that ran has a previous state of its own, and templates of its own.
 */
export class StateRecords {
  /** The templates of points that never ran, by the key of their variables, then by flags. */
  private readonly neverRan = new Map<string, (StateTemplates | undefined)[]>();
  /** The recorded variables, one object for each key: their JSON is made once for it. */
  private readonly recorded = new Map<string, Variables>();
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
    // Looked up by the variables' own key, which is one string for every unit of the same
    // variables and hashed once, then by the flags: not a key made anew, and hashed, for each unit.
    const key = this.recordedKey(variables);
    let recorded = this.recorded.get(key);
    if (recorded === undefined) {
      recorded = recordedVariables(variables);
      this.recorded.set(key, recorded);
    }
    // A state read from a file is one unit's own: its templates are made for it, and not kept
    // here, where they would outlive the unit (thousands of texts in a plan after a run).
    if (previous !== EMPTY_STATE)
      return nextStateTemplates(previous, this.configHash, recorded, measured, undefined, copies);
    let byFlags = this.neverRan.get(key);
    if (byFlags === undefined) {
      byFlags = [];
      this.neverRan.set(key, byFlags);
    }
    const flags = (measured ? 2 : 0) + (copies ? 1 : 0);
    let templates = byFlags[flags];
    if (templates === undefined) {
      templates = nextStateTemplates(previous, this.configHash, recorded, measured, undefined, copies);
      byFlags[flags] = templates;
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
