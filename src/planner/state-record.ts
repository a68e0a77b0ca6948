import { HOST_VARIABLES, TIME_VARIABLES, type Variables, variableValue } from '../options/variables.js';
import { nextStateTemplates, type PointState, type StateTemplates } from '../state/point-state.js';

const RECORDED = [...HOST_VARIABLES, ...TIME_VARIABLES];

/**
 * The state templates of a plan's units. Points that have not run yet share one previous state,
 * and every point of a run records the same time and host: their templates are the same text,
 * made once and shared, which a plan of thousands of units would otherwise hold thousands of times.
 */
export class StateRecords {
  private readonly made = new WeakMap<PointState, Map<string, StateTemplates>>();

  constructor(private readonly configHash: string) {}

  templates(previous: PointState, variables: Variables, measured: boolean): StateTemplates {
    const recorded = timeAndHost(variables);
    const key = `${measured} ${JSON.stringify(recorded)}`;
    let byKey = this.made.get(previous);
    if (byKey === undefined) {
      byKey = new Map();
      this.made.set(previous, byKey);
    }
    let templates = byKey.get(key);
    if (templates === undefined) {
      templates = nextStateTemplates(previous, this.configHash, recorded, measured);
      byKey.set(key, templates);
    }
    return templates;
  }
}

/** The variables a restore needs to find a dated backup again. */
function timeAndHost(variables: Variables): Variables {
  const recorded: Record<string, string> = {};
  for (const key of RECORDED) {
    const value = variableValue(variables, key);
    if (value !== undefined) recorded[key] = value;
  }
  return recorded;
}
