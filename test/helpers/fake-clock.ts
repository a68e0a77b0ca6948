/**
 * The argv prefix that runs a program under libfaketime with a clock that starts at `start` and
 * runs at the real speed, shared by every process of the run (the script's `date` calls included).
 * The offset is rounded down, so the faked clock never reads earlier than `start`.
 */
export function fakeClock(start: string): string[] {
  const behind = Math.floor((Date.now() - new Date(start).getTime()) / 1000);
  return ['faketime', '-f', behind >= 0 ? `-${behind}s` : `+${-behind}s`];
}
