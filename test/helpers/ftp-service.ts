import type { FtpServer } from '../servers/ftp.js';
import { rcloneUpload } from './rclone-upload.js';
import { filesOf, type ServiceServer } from './service-server.js';
import { REMOTE_DIR } from './service-targets.js';
import { haveTools } from './tools.js';

/** What the FTP and FTPS suites need beside the server. */
export const haveFtpTools = () => haveTools('flock', 'bash', 'sha256sum', 'tar', 'gzip', 'zstd');

/** The shared tests' view of `ftp`, with `lines` after every remote_url (FTPS: its ca_cert). */
export function ftpService(ftp: FtpServer, lines: readonly string[]): ServiceServer {
  const scheme = ftp.baseUrl.slice(0, ftp.baseUrl.indexOf(':'));
  return {
    password: ftp.password,
    refused: /530 Authentication failed/,
    lines,
    url: (path) => `${ftp.baseUrl}/${encodeURI(REMOTE_DIR)}/${path}`,
    plainLines: (path, secret = ftp.password) => [
      `remote_url = ${scheme}://${ftp.user}@127.0.0.1:${ftp.port}/${encodeURI(REMOTE_DIR)}/${path}`,
      `password = ${secret}`,
      ...lines,
    ],
    ...filesOf(ftp.root),
    upload: (path, bytes) =>
      rcloneUpload(
        `:ftp:/${REMOTE_DIR}/${path}`,
        {
          RCLONE_FTP_HOST: '127.0.0.1',
          RCLONE_FTP_PORT: String(ftp.port),
          RCLONE_FTP_USER: ftp.user,
          ...(scheme === 'ftps'
            ? { RCLONE_FTP_EXPLICIT_TLS: 'true', RCLONE_FTP_NO_CHECK_CERTIFICATE: 'true' }
            : {}),
        },
        bytes,
        { variable: 'RCLONE_FTP_PASS', value: ftp.password },
      ),
    stop: () => ftp.stop(),
    start: () => ftp.start(),
  };
}
