#!/usr/bin/python3
"""SMTP sink for the test suite: accepts every message and stores it as one .eml file.

Each accepted message becomes DIR/<nanoseconds>-<n>.eml: the message exactly as received,
preceded by X-Peer, X-MailFrom and X-RcptTo headers carrying the SMTP envelope. Files are
written under a temporary name and renamed, so a reader never sees half a message.

Runs until SIGTERM or SIGINT. Needs Debian's aiosmtpd, so run it with /usr/bin/python3:
    /usr/bin/python3 scripts/smtp_sink.py --port 2525 --dir build/mail --pidfile sink.pid
"""

import argparse
import itertools
import os
import signal
import time
from pathlib import Path

from aiosmtpd.controller import Controller


class FileSink:
    """aiosmtpd handler that writes each message to its own file in a directory."""

    def __init__(self, directory: Path):
        self._directory = directory
        self._counter = itertools.count(1)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        envelope_headers = (
            f"X-Peer: {session.peer[0]}\r\n"
            f"X-MailFrom: {envelope.mail_from}\r\n"
            f"X-RcptTo: {', '.join(envelope.rcpt_tos)}\r\n"
        ).encode()
        content = envelope.original_content or b""
        name = f"{time.time_ns()}-{next(self._counter)}"
        partial = self._directory / f".{name}.partial"
        partial.write_bytes(envelope_headers + content)
        os.replace(partial, self._directory / f"{name}.eml")
        return "250 Message accepted for delivery"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", type=Path, required=True, help="where .eml files go")
    parser.add_argument("--pidfile", type=Path, help="written once the server listens")
    args = parser.parse_args()

    args.dir.mkdir(parents=True, exist_ok=True)
    # Only the sink knows when a stop was asked for; block the signals before the server
    # thread starts so they arrive here, in sigwait, and never interrupt the event loop.
    stop_signals = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)

    controller = Controller(FileSink(args.dir), hostname=args.host, port=args.port)
    controller.start()  # returns once the port accepts connections
    if args.pidfile:
        args.pidfile.write_text(f"{os.getpid()}\n")
    try:
        signal.sigwait(stop_signals)
    finally:
        controller.stop()
        if args.pidfile:
            args.pidfile.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
