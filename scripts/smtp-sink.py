#!/usr/bin/python3
"""A recording SMTP server for tests and benchmarks (Debian's python3-aiosmtpd).

Run with Debian's Python (/usr/bin/python3), not a pyenv shim:

    /usr/bin/python3 scripts/smtp-sink.py --port 2525 --dir /tmp/sink [--auth user:password]

Every accepted message is written to DIR as NNNNNN.eml (the bytes as received) with
NNNNNN.json beside it ({"mail_from", "rcpt_tos", "auth_user"}); both appear atomically (written
under a temporary name, then renamed), the .json last, so a reader that sees the .json can read both.

Answers are steered by DIR/control.json, read on every command, so a test can change them while
the server runs:

    {"rcpt": {"someone@example.test": "550 5.1.1 No such user"},   # per recipient (lower case)
     "data": "451 4.3.0 Try again later",                           # after the message, for all
     "discard": false,                                              # accept but do not record
     "auth": "user:password"}                                       # replaces --auth's credentials

With --auth, every message needs AUTH PLAIN/LOGIN with those credentials first (over plain text
on loopback: this is a test server). With --tls-cert and --tls-key, STARTTLS is offered and
required before MAIL FROM. Prints "listening HOST:PORT" once it accepts connections,
and stops cleanly on SIGTERM or SIGINT.
"""
import argparse
import asyncio
import json
import logging
import os
import signal
import ssl
import sys
import threading
import warnings

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Sink:
    def __init__(self, directory):
        self.dir = directory
        self.lock = threading.Lock()
        self.seq = 0
        for name in os.listdir(directory):
            if name.endswith('.eml'):
                self.seq = max(self.seq, int(name.split('.')[0]))

    def control(self):
        try:
            with open(os.path.join(self.dir, 'control.json'), encoding='utf-8') as f:
                return json.load(f)
        except FileNotFoundError:
            return {}
        except ValueError:  # being rewritten: treat as no control
            return {}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        answer = self.control().get('rcpt', {}).get(address.lower())
        if answer:
            return answer
        envelope.rcpt_tos.append(address)
        return '250 OK'

    async def handle_DATA(self, server, session, envelope):
        control = self.control()
        if control.get('data'):
            return control['data']
        if control.get('discard'):
            return '250 OK discarded'
        with self.lock:
            self.seq += 1
            n = self.seq
        base = os.path.join(self.dir, '%06d' % n)
        self._write(base + '.eml', envelope.original_content or envelope.content)
        meta = {'mail_from': envelope.mail_from, 'rcpt_tos': envelope.rcpt_tos,
                'auth_user': getattr(session, 'sink_user', None)}
        self._write(base + '.json', json.dumps(meta).encode('utf-8'))
        return '250 OK queued as %06d' % n

    @staticmethod
    def _write(path, data):
        tmp = path + '.tmp'
        with open(tmp, 'wb') as f:
            f.write(data)
        os.rename(tmp, path)


class Authenticator:
    def __init__(self, sink, credentials):
        self.sink = sink
        self.credentials = credentials

    def __call__(self, server, session, envelope, mechanism, auth_data):
        user, _, password = self.sink.control().get('auth', self.credentials).partition(':')
        if (isinstance(auth_data, LoginPassword) and auth_data.login == user.encode('utf-8')
                and auth_data.password == password.encode('utf-8')):
            session.sink_user = auth_data.login.decode('utf-8', 'replace')
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--host', default='127.0.0.1')
    ap.add_argument('--port', type=int, required=True)
    ap.add_argument('--dir', required=True)
    ap.add_argument('--auth', help='user:password required before MAIL FROM')
    ap.add_argument('--tls-cert', help='PEM certificate: offer and require STARTTLS')
    ap.add_argument('--tls-key', help='PEM private key for --tls-cert')
    args = ap.parse_args()
    # AUTH without TLS is what a loopback test server does; aiosmtpd warns about it on every connection.
    warnings.filterwarnings('ignore')
    logging.getLogger('mail.log').setLevel(logging.ERROR)
    os.makedirs(args.dir, exist_ok=True)
    kwargs = {}
    sink = Sink(args.dir)
    if args.auth:
        kwargs.update(authenticator=Authenticator(sink, args.auth), auth_required=True, auth_require_tls=False)
    if args.tls_cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        kwargs.update(tls_context=context, require_starttls=True)
    controller = Controller(sink, hostname=args.host, port=args.port, decode_data=False,
                            ready_timeout=10, **kwargs)
    controller.start()
    print('listening %s:%d' % (args.host, args.port), flush=True)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    controller.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main())
