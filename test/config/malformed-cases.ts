/**
 * Malformed configurations, each with the exact diagnostics a user reads: message, hint, file,
 * line and section. A valid collect point (`CP`, lines 1-3) is prepended where the mistake is
 * elsewhere, so line numbers below count from it.
 */
export const CP = '[point]\nengine=files\nlocal_path=/srv/cp\n';
export const SITE = { 'site.collect': CP };
export const mirror = (lines: string) => ({
  ...SITE,
  'mirror.backup': `[point]\nengine=synchronize\n${lines}`,
});
export const source = (lines: string) => ({ 'site.collect': `${CP}[source "d"]\n${lines}` });

export const FREQUENCY_FORMS =
  "'always', a number of seconds (up to 3155760000), 'hourly', 'daily', 'daily:H' (0-23), 'weekly', 'weekly:D' (0=Monday-6), 'monthly' or 'monthly:D' (1-31)";
export const INNER_PATH = 'a path inside the collect point: relative, not empty, without ".."';
export const BUILTINS =
  'A, B, H, I, M, S, U, W, X, Y, Z, a, b, c, d, f, fqdn, hostname, j, m, name, p, username, w, x, y, z';
export const COLLECT_SECTIONS =
  'expected [point], [source "NAME"], [filter "NAME"], [hook "NAME"] or [variables]';
export const BACKUP_SECTIONS =
  'expected [point], [filter "NAME"], [hook "NAME"], [variables] or [variables "COLLECT POINT"]';
