"""An SMTP server for the hook tests (aiosmtpd, Debian's python3-aiosmtpd).

Usage: SMTP_TEST_USER=U SMTP_TEST_PASSWORD=P smtp-main.py PORT LOG MECHANISM MODE [CERT KEY]
Each message is appended to LOG as one JSON line (envelope and content); AUTH is required and
only MECHANISM (PLAIN or LOGIN) is offered, and each attempt is logged too. MODE: plain,
starttls (required before AUTH and MAIL) or tls (implicit TLS). Prints "ready" once it listens.
"""
import json
import os
import ssl
import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

port, log, mechanism, mode = sys.argv[1:5]
user, password = os.environ["SMTP_TEST_USER"], os.environ["SMTP_TEST_PASSWORD"]
context = None
if mode != "plain":
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(sys.argv[5], sys.argv[6])


def record(entry):
    with open(log, "a", encoding="utf-8") as out:
        out.write(json.dumps(entry) + "\n")


def authenticator(server, session, envelope, used, data):
    ok = data.login.decode() == user and data.password.decode() == password
    record({"auth": used, "ok": ok})
    return AuthResult(success=ok)


class Handler:
    async def handle_DATA(self, server, session, envelope):
        record({
            "from": envelope.mail_from,
            "to": envelope.rcpt_tos,
            "content": envelope.content.decode("utf-8"),
            "authenticated": session.authenticated,
        })
        return "250 OK"


others = [m for m in ("PLAIN", "LOGIN") if m != mechanism]
kwargs = dict(
    hostname="127.0.0.1",
    port=int(port),
    authenticator=authenticator,
    auth_required=True,
    # aiosmtpd only counts STARTTLS as TLS: with implicit TLS it would never offer AUTH.
    auth_require_tls=mode == "starttls",
    auth_exclude_mechanism=others,
)
if mode == "starttls":
    kwargs.update(tls_context=context, require_starttls=True)
elif mode == "tls":
    kwargs.update(ssl_context=context)
controller = Controller(Handler(), **kwargs)
controller.start()
print("ready", flush=True)
try:
    while True:
        time.sleep(3600)
finally:
    controller.stop()
