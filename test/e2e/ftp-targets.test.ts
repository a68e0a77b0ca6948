import { afterAll, beforeAll, describe } from 'vitest';
import { filesOf, type ServiceServer, serviceTargetTests } from '../helpers/service-suite.js';
import { REMOTE_DIR } from '../helpers/service-targets.js';
import { haveTools } from '../helpers/tools.js';
import { type FtpServer, haveFtp, startFtp } from '../servers/ftp.js';

const canRun = haveFtp() && haveTools('flock', 'bash', 'sha256sum', 'tar', 'gzip', 'zstd');

describe.runIf(canRun)('backup points on an FTP server (pyftpdlib, rclone)', () => {
  let ftp: FtpServer;
  let service: ServiceServer;
  beforeAll(async () => {
    ftp = await startFtp();
    service = {
      password: ftp.password,
      refused: /530 Authentication failed/,
      lines: [],
      url: (path) => `${ftp.baseUrl}/${encodeURI(REMOTE_DIR)}/${path}`,
      plainLines: (path, secret = ftp.password) => [
        `remote_url = ftp://${ftp.user}@127.0.0.1:${ftp.port}/${encodeURI(REMOTE_DIR)}/${path}`,
        `password = ${secret}`,
      ],
      ...filesOf(ftp.root),
      stop: () => ftp.stop(),
      start: () => ftp.start(),
    };
  });
  afterAll(async () => {
    await ftp?.destroy();
  });
  serviceTargetTests(() => service, 'ftp');
});
