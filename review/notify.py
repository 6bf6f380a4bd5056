"""Telling people that something waits for them: a JSON webhook and/or an e-mail per event.

Events: ``review.waiting`` (a gate opened; who should review) and ``delivery.ready``. A failed
notification never fails the production; it is written to the audit log instead."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from typing import TYPE_CHECKING

import httpx

from core.settings import NotifySettings

if TYPE_CHECKING:
    from storage.catalog import Catalog


def notify(settings: NotifySettings, catalog: Catalog, event: str, subject: str, text: str, payload: dict) -> list[str]:
    """Send ``event`` everywhere configured; returns the channels that took it."""
    sent = []
    if settings.webhook_url:
        try:
            response = httpx.post(settings.webhook_url, json={"event": event, "subject": subject, "text": text, **payload},
                                  timeout=settings.timeout_s)
            response.raise_for_status()
            sent.append("webhook")
        except httpx.HTTPError as exc:
            catalog.audit("studio", "notification.failed", subject, channel="webhook", event=event, error=str(exc)[:300])
    if settings.smtp_host and settings.mail_to:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = settings.mail_from, ", ".join(settings.mail_to), text.split("\n")[0]
        message.set_content(text)
        try:
            with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.timeout_s) as smtp:
                if settings.smtp_user and settings.smtp_password:
                    smtp.starttls()
                    smtp.login(settings.smtp_user, settings.smtp_password.get_secret_value())
                smtp.send_message(message)
            sent.append("email")
        except (OSError, smtplib.SMTPException) as exc:
            catalog.audit("studio", "notification.failed", subject, channel="email", event=event, error=str(exc)[:300])
    return sent
