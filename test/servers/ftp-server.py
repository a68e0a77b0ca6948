"""An FTP server for the tests: pyftpdlib serving ROOT on 127.0.0.1:PORT to USER, whose password
is read from standard input (never from argv). With CERTIFICATE and KEY, explicit FTPS: the
client must send AUTH TLS before logging in, and protect the data connections (PROT P). With
POLYARCHIV_FTP_ANONYMOUS=DIR in the environment, the user anonymous may also log in, with any
password (an empty one too), and write into DIR."""
import os
import sys
import warnings

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer


class MlsdOfMissingDirectory:
    # pyftpdlib answers MLSD of a missing directory with 501, where vsftpd, proftpd and
    # pure-ftpd answer 550, which is what clients (rclone) read as "not found".
    def ftp_MLSD(self, path):
        if not self.fs.isdir(path):
            self.respond('550 No such directory.')
            return None
        return super().ftp_MLSD(path)


def handler_class(tls_files):
    if not tls_files:
        return type('Handler', (MlsdOfMissingDirectory, FTPHandler), {})
    # Imported only for FTPS: it needs python3-openssl.
    from pyftpdlib.handlers import TLS_FTPHandler

    certificate, key = tls_files
    return type(
        'TlsHandler',
        (MlsdOfMissingDirectory, TLS_FTPHandler),
        {
            'certfile': certificate,
            'keyfile': key,
            'tls_control_required': True,
            'tls_data_required': True,
        },
    )


def main():
    root, port, user = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    password = sys.stdin.readline().rstrip('\n')
    authorizer = DummyAuthorizer()
    authorizer.add_user(user, password, root, perm='elradfmwMT')
    anonymous = os.environ.get('POLYARCHIV_FTP_ANONYMOUS')
    if anonymous:
        # pyftpdlib warns of an anonymous user who may write: the tests want one.
        warnings.simplefilter('ignore', RuntimeWarning)
        authorizer.add_anonymous(anonymous, perm='elradfmwMT')
    handler = handler_class(sys.argv[4:6])
    handler.authorizer = authorizer
    FTPServer(('127.0.0.1', port), handler).serve_forever()


main()
