"""A real SMTP server on 127.0.0.1 for tests and benchmarks that send email over the network.

aiosmtpd runs in a thread of the test process; every message it accepts is kept,
parsed, in `server.messages`. The server can be stopped and started again on the
same port, which is what a mail server that is down and comes back looks like to
a client: connection refused, then accepted again.
"""

import asyncio
import contextlib
import email
import logging
import threading
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from milestones.tests.waiting import wait_until

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Received:
    """One message as the server accepted it: the envelope and the parsed message."""

    mail_from: str
    recipients: tuple[str, ...]
    message: EmailMessage

    @property
    def subject(self):
        return self.message["Subject"]

    @property
    def text(self):
        return self.message.get_body(preferencelist=("plain",)).get_content()

    @property
    def html(self):
        return self.message.get_body(preferencelist=("html",)).get_content()


class Inbox:
    """The aiosmtpd handler: keeps every message it is given."""

    def __init__(self):
        self.messages = []
        # Seconds between taking a message and answering 250, like a mail server writing its
        # queue to disk first. A client that dies meanwhile cannot know its message was taken.
        self.delay = 0.0
        # Cleared while a test holds the server (SmtpServer.holding): each message is taken
        # and then not answered until the test lets go.
        self.answering = threading.Event()
        self.answering.set()
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(
            envelope.original_content or envelope.content, policy=policy.default
        )
        with self.lock:
            self.messages.append(Received(envelope.mail_from, tuple(envelope.rcpt_tos), message))
        if self.delay:
            await asyncio.sleep(self.delay)
        if not self.answering.is_set():
            await asyncio.get_running_loop().run_in_executor(None, self.answering.wait)
        return "250 Message accepted for delivery"


class _Controller(Controller):
    """A controller that may be given port 0: it learns the port the system chose before using it."""

    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class SmtpServer:
    def __init__(self, host=HOST, port=0):
        self.host = host
        self.port = port
        self.inbox = Inbox()
        self._controller = None

    @property
    def messages(self):
        with self.inbox.lock:
            return list(self.inbox.messages)

    @property
    def running(self):
        return self._controller is not None

    def start(self):
        """Listen (again) on the same port; the first start takes a free port chosen by the system."""
        # An aiosmtpd controller closes its event loop when stopped, so each start needs a new one.
        self._controller = _Controller(self.inbox, hostname=self.host, port=self.port, ready_timeout=10)
        self._controller.start()
        self.port = self._controller.port

    def stop(self):
        """Stop listening: from now on a client's connection is refused."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @contextlib.contextmanager
    def holding(self):
        """Until the block ends, take each message but keep its sender waiting for the answer:
        the client is in the middle of its SMTP conversation all that time."""
        self.inbox.answering.clear()
        try:
            yield self
        finally:
            self.inbox.answering.set()

    def environment(self):
        """What a worker subprocess needs in its environment to send its email here."""
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": self.host,
            "EMAIL_PORT": str(self.port),
            "EMAIL_USE_TLS": "false",
            "EMAIL_HOST_USER": "",
            "EMAIL_HOST_PASSWORD": "",
        }

    def wait_for(self, count, timeout, failure=""):
        """Wait until at least `count` messages arrived; returns them."""
        try:
            wait_until(lambda: len(self.messages) >= count, timeout, "")
        except AssertionError:
            arrived = len(self.messages)
            raise AssertionError(
                f"{arrived} of {count} messages reached the SMTP server within {timeout} s. {failure}"
            ) from None
        return self.messages


@contextlib.contextmanager
def running_smtp_server(host=HOST, port=0):
    """An SMTP server listening until the block ends."""
    # aiosmtpd logs every connection at INFO: thousands of lines for a benchmark.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    server = SmtpServer(host, port)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def smtp_server():
    """A real SMTP server on 127.0.0.1 and a free port, collecting what it is sent."""
    with running_smtp_server() as server:
        yield server


@pytest.fixture
def smtp_inbox(smtp_server, settings):
    """The SMTP server, with the email this process sends through Django going to it."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = smtp_server.host
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    return smtp_server
