/**
 * The argv prefix that runs a program under libfaketime with a clock that starts at `start` and
 * runs at the real speed, shared by every process of the run (the script's `date` calls included).
 */
export function fakeClock(start: string): string[] {
  const behind = Math.round((Date.now() - new Date(start).getTime()) / 1000);
  return ['faketime', '-f', behind >= 0 ? `-${behind}s` : `+${-behind}s`];
}
