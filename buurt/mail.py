"""Sending e-mail over SMTP as configured in the instance config; without MAIL_SERVER nothing is sent."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app

log = logging.getLogger(__name__)


def mail_enabled() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


def send_mail(to: str | list[str], subject: str, body: str) -> bool:
    """Send a plain-text mail; False (and a log line without addresses) when not configured or failing."""
    if not mail_enabled():
        return False
    cfg = current_app.config
    recipients = [to] if isinstance(to, str) else list(to)
    if not recipients:
        return False
    message = EmailMessage()
    message["From"] = cfg["MAIL_SENDER"]
    message["To"] = ", ".join(recipients)
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="buurt.local")
    message.set_content(body)
    try:
        with smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=10) as smtp:
            if cfg.get("MAIL_USE_TLS"):
                smtp.starttls()
            if cfg.get("MAIL_USERNAME"):
                smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"])
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        log.warning("mail %r to %d recipient(s) not sent: %s", subject, len(recipients), type(error).__name__)
        return False
    return True
