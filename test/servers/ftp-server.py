"""An FTP server for the tests: pyftpdlib serving ROOT on 127.0.0.1:PORT to USER, whose password
is read from standard input (never from argv)."""
import sys

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer


class Handler(FTPHandler):
    # pyftpdlib answers MLSD of a missing directory with 501, where vsftpd, proftpd and
    # pure-ftpd answer 550, which is what clients (rclone) read as "not found".
    def ftp_MLSD(self, path):
        if not self.fs.isdir(path):
            self.respond('550 No such directory.')
            return None
        return super().ftp_MLSD(path)


def main():
    root, port, user = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    password = sys.stdin.readline().rstrip('\n')
    authorizer = DummyAuthorizer()
    authorizer.add_user(user, password, root, perm='elradfmwMT')
    Handler.authorizer = authorizer
    FTPServer(('127.0.0.1', port), Handler).serve_forever()


main()
