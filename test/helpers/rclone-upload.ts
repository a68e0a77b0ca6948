import { spawnSync } from 'node:child_process';

/**
 * Uploads `bytes` to `remote` (`:webdav:/path`, `:ftp:/path`, `:s3:bucket/key`) through the
 * server's own protocol, as any client of it would: rclone with its settings in `settings` and
 * the password (`password.variable`, obscured as rclone wants it) in its environment, not argv.
 */
export function rcloneUpload(
  remote: string,
  settings: Readonly<Record<string, string>>,
  bytes: Buffer,
  password?: { readonly variable: string; readonly value: string },
): void {
  const env: Record<string, string> = { ...process.env, RCLONE_CONFIG: '/dev/null', ...settings };
  if (password !== undefined) {
    const obscured = spawnSync('rclone', ['obscure', '-'], { encoding: 'utf8', input: password.value });
    if (obscured.status !== 0) throw new Error(`rclone obscure: ${obscured.stderr}`);
    env[password.variable] = obscured.stdout.trim();
  }
  const sent = spawnSync('rclone', ['rcat', remote], { input: bytes, env, encoding: 'utf8' });
  if (sent.status !== 0) throw new Error(`rclone rcat ${remote}: ${sent.stderr}`);
}
