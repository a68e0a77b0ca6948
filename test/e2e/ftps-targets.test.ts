import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe } from 'vitest';
import { ftpService, haveFtpTools } from '../helpers/ftp-service.js';
import { metadataUrlTests } from '../helpers/metadata-url-suite.js';
import type { ServiceServer } from '../helpers/service-server.js';
import { serviceTargetTests } from '../helpers/service-suite.js';
import { unverifiedServerTests } from '../helpers/tls-suite.js';
import { type FtpServer, haveFtp, startFtp } from '../servers/ftp.js';

// The FTP suite's shared tests again over explicit TLS: a file of its own, so that the two run
// side by side.
describe.runIf(haveFtp({ tls: true }) && haveFtpTools())(
  'backup points on an FTPS server (explicit TLS, ca_cert)',
  () => {
    let ftp: FtpServer;
    let service: ServiceServer;
    beforeAll(async () => {
      ftp = await startFtp({ tls: true });
      service = ftpService(ftp, [`ca_cert = ${ftp.certificate}`]);
    });
    afterAll(async () => {
      await ftp?.destroy();
    });
    // Every transfer, rename and deletion verifies the server with the CA bundle of ca_cert.
    serviceTargetTests(() => service, 'ftps');
    metadataUrlTests(() => service, 'ftps');
    unverifiedServerTests(
      () => ({
        url: (path) => `${ftp.baseUrl}/tls/${path}`,
        stored: (path) => `${ftp.root}/tls/${path}`,
        clear: () => rmSync(`${ftp.root}/tls`, { recursive: true, force: true }),
      }),
      'ftps-unverified',
    );
  },
);
