"""Notifications reach a real webhook receiver and a real SMTP server on 127.0.0.1; a
receiver that is down is written to the audit log and never fails the caller."""

from __future__ import annotations

import json
import threading
import warnings
from http.server import BaseHTTPRequestHandler, HTTPServer

from core.settings import NotifySettings
from review.notify import notify
from tests.conftest import free_port


class _Hook(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):  # noqa: N802
        self.received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_webhook_and_email_are_sent_and_failures_audited(tmp_path):
    from core.settings import StudioSettings
    from storage import open_catalog

    catalog = open_catalog(StudioSettings(home=tmp_path))
    http = HTTPServer(("127.0.0.1", free_port()), _Hook)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import asyncore
        import smtpd

    mails = []

    class Sink(smtpd.SMTPServer):
        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            mails.append((mailfrom, rcpttos, data.decode()))

    smtp_port = free_port()
    sink = Sink(("127.0.0.1", smtp_port), None)
    loop = threading.Thread(target=asyncore.loop, kwargs={"timeout": 0.1}, daemon=True)
    loop.start()
    try:
        settings = NotifySettings(webhook_url=f"http://127.0.0.1:{http.server_port}/hook", smtp_host="127.0.0.1",
                                  smtp_port=smtp_port, mail_to=["lan@example.org"])
        sent = notify(settings, catalog, "review.waiting", "review/r1", "The video waits for Lan\nOpen the portal.",
                      {"review_id": "r1", "reviewers": ["Lan"]})
        assert sent == ["webhook", "email"]
        assert _Hook.received[-1]["event"] == "review.waiting" and _Hook.received[-1]["reviewers"] == ["Lan"]
        assert mails and mails[0][1] == ["lan@example.org"] and "The video waits for Lan" in mails[0][2]
    finally:
        http.shutdown()
        sink.close()
    down = NotifySettings(webhook_url=f"http://127.0.0.1:{free_port()}/hook", timeout_s=1)
    assert notify(down, catalog, "delivery.ready", "delivery/d1", "ready", {}) == []
    failed = [e for e in catalog.audit_events() if e.action == "notification.failed"]
    assert failed and failed[-1].details["channel"] == "webhook"
