"""Errors reported to Sentry when SENTRY_DSN is set, naming no one.

The reports go to a small real HTTP server on 127.0.0.1 that keeps what Sentry's SDK posts."""

import gzip
import http.client
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
import sentry_sdk

from outsourcing import sentry
from outsourcing.tests.failing_urls import MESSAGE
from outsourcing.tests.test_configuration import manage

ADDRESS = "203.0.113.77"  # the visitor's, as the proxy in front passes it on


class Envelopes(BaseHTTPRequestHandler):
    """Keeps each envelope the SDK posts (/api/<project>/envelope/), unpacked."""

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        self.server.received.append((self.path, body.decode()))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format, *args):
        pass  # the test reads what arrived, not the server's chatter


@pytest.fixture
def sentry_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Envelopes)
    server.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def dsn(server):
    return f"http://0123456789abcdef@127.0.0.1:{server.server_port}/1"


@pytest.fixture
def reporting(sentry_server):
    """Sentry started as the settings start it when SENTRY_DSN is set, and stopped after."""
    sentry.start(dsn(sentry_server), environment="test")
    try:
        yield sentry_server
    finally:
        sentry_sdk.init(dsn=None)  # this test process reports nothing after this test


def events(server):
    """The error events among the envelopes: each envelope is JSON lines, header first."""
    found = []
    for path, body in server.received:
        assert path == "/api/1/envelope/"
        lines = body.splitlines()
        for header, payload in zip(lines[1::2], lines[2::2], strict=False):
            if json.loads(header).get("type") == "event":
                found.append((payload, json.loads(payload)))
    return found


@pytest.mark.urls("outsourcing.tests.failing_urls")
@pytest.mark.django_db(transaction=True)
def test_an_exception_in_a_view_is_reported_without_who_or_from_where(
    reporting, live_server, owner_client, owner
):
    session = owner_client.cookies["sessionid"].value
    server = urlsplit(live_server.url)
    connection = http.client.HTTPConnection(server.hostname, server.port, timeout=10)

    connection.request(
        "GET", "/broken/?q=Ana+Lopez", headers={"Cookie": f"sessionid={session}", "X-Forwarded-For": ADDRESS}
    )
    response = connection.getresponse()
    sentry_sdk.flush(timeout=10)

    assert response.status == 500
    [(raw, event)] = events(reporting)
    assert event["exception"]["values"][-1]["type"] == "RuntimeError"
    assert event["exception"]["values"][-1]["value"] == MESSAGE
    assert event["tags"]["request_id"] == response.headers["X-Request-ID"]
    assert event["request"]["url"] == f"{live_server.url}/broken/"
    assert "user" not in event
    assert "REMOTE_ADDR" not in event["request"].get("env", {})
    for personal in (owner.email, owner.username, ADDRESS, "Ana", session):
        assert personal not in raw


def test_settings_start_sentry_when_sentry_dsn_is_set(sentry_server):
    show = (
        "import sentry_sdk; client = sentry_sdk.get_client(); "
        "print(client.is_active(), client.should_send_default_pii(), client.options['environment'], "
        "' '.join(sorted(client.integrations)))"
    )

    active = manage("shell", "--no-imports", "-c", show, SENTRY_DSN=dsn(sentry_server)).stdout.split()
    inactive = manage("shell", "--no-imports", "-c", show).stdout.split()

    assert active[:3] == ["True", "False", "development"]
    assert {"django", "celery"} <= set(active[3:])
    assert inactive[0] == "False"
