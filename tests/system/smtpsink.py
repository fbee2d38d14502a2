"""A real SMTP server for the system tests (Debian's python3-aiosmtpd), on a
free loopback port, that keeps every mail it accepts.

    sink = SmtpSink().start()
    ... nsupd with "[mail] smtp_url = " + sink.url ...
    msgs = sink.wait_for(1)            # bounded wait
    msgs[0].rcpts, msgs[0].subject, msgs[0].body, msgs[0].msg (email.message)
    sink.fail = True                   # answer 451 to DATA: a temporary failure
    sink.stop()

Only 127.0.0.1 is used; every wait is bounded.
"""

import email
import email.header
import email.policy
import threading
import time
from dataclasses import dataclass, field
from typing import List

from aiosmtpd.controller import Controller

from named import free_port


@dataclass
class Mail:
    mail_from: str
    rcpts: List[str]
    data: bytes
    msg: email.message.EmailMessage = field(repr=False)

    @property
    def subject(self):
        # str() of the header decodes RFC 2047 words.
        return str(self.msg["Subject"])

    @property
    def body(self):
        # An 8bit part keeps its CRLF line ends; compare as text.
        return self.msg.get_content().replace("\r\n", "\n")

    @property
    def raw_subject(self):
        for line in self.data.split(b"\r\n"):
            if line.lower().startswith(b"subject:"):
                return line
        return b""


class _Handler:
    def __init__(self, sink):
        self.sink = sink

    async def handle_DATA(self, server, session, envelope):
        if self.sink.fail:
            return "451 4.3.0 test sink: try again later"
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode()
        msg = email.message_from_bytes(data, policy=email.policy.default)
        with self.sink.cond:
            self.sink.messages.append(Mail(envelope.mail_from, list(envelope.rcpt_tos), data,
                                           msg))
            self.sink.cond.notify_all()
        return "250 OK"


class SmtpSink:
    def __init__(self):
        self.port = None
        self.controller = None
        self.messages = []
        self.cond = threading.Condition()
        self.fail = False

    @property
    def url(self):
        return "smtp://127.0.0.1:%d" % self.port

    def start(self):
        self.port = free_port()
        # decode_data=False keeps the bytes, so the tests see what nsupd sent.
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port,
                                     ready_timeout=10)
        self.controller.start()
        return self

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def clear(self):
        with self.cond:
            self.messages.clear()

    def wait_for(self, n, timeout=15):
        """Waits until at least n mails arrived; returns a copy of the list."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(self.messages) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("SMTP sink: %d mails after %ss, wanted %d: %r" %
                                         (len(self.messages), timeout, n, self.messages))
                self.cond.wait(left)
            return list(self.messages)

    def to(self, rcpt):
        with self.cond:
            return [m for m in self.messages if rcpt in m.rcpts]

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
