"""The SMTP transport: one attempt to hand one message to the configured relay.

Nothing else in the site talks SMTP. Mail is queued with buurt.outbox.queue_mail in the transaction
of the change it reports and sent after the commit by the outbox's sender, which calls `transmit`.
Without MAIL_SERVER nothing is queued or sent (the site still works).
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
import socket
import threading
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr

from flask import current_app

log = logging.getLogger(__name__)

#: A whole delivery (connect, greeting, TLS, login, every recipient, the data) is cut off after
#: this many MAIL_TIMEOUTs, however slowly a relay trickles its answers; the outbox's lease on a
#: message is longer, so no other sender can take it over while this one may still be sending.
DEADLINE_FACTOR = 3


class MailError(Exception):
    """A delivery failed. `error` is the class name of the cause (never its text: it may quote an
    address); `permanent` when the relay refused the message itself with a 5xx answer."""

    def __init__(self, error: str, *, permanent: bool = False):
        super().__init__(error)
        self.error = error
        self.permanent = permanent


def mail_enabled() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


def mail_timeout() -> float:
    """Seconds allowed per SMTP step (MAIL_TIMEOUT)."""
    return float(current_app.config.get("MAIL_TIMEOUT") or 10)


def new_message_id() -> str:
    """A Message-ID in the sender's domain, fixed when the message is queued so that every retry carries it."""
    domain = parseaddr(current_app.config.get("MAIL_SENDER") or "")[1].rpartition("@")[2] or "buurt.local"
    return make_msgid(domain=domain)


def build_message(recipients: list[str], subject: str, body: str, message_id: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_SENDER"]
    message["To"] = ", ".join(recipients)
    message["Subject"] = subject
    message["Message-ID"] = message_id
    message.set_content(body)
    return message


def transmit(recipients: list[str], subject: str, body: str, *, message_id: str) -> None:
    """Hand one plain-text message to the relay, or raise MailError.

    Each step waits at most MAIL_TIMEOUT; a watchdog shuts the socket at DEADLINE_FACTOR times that.
    Once the relay has accepted the data the message counts as sent (a failing QUIT changes nothing);
    recipients the relay refused while accepting others are logged as a count.
    """
    cfg = current_app.config
    timeout = mail_timeout()
    message = build_message(recipients, subject, body, message_id)
    smtp = smtplib.SMTP(timeout=timeout)  # no host yet: connect below, under the watchdog
    watchdog = threading.Timer(timeout * DEADLINE_FACTOR, _cut, args=(smtp,))
    watchdog.daemon = True
    watchdog.start()
    try:
        smtp.connect(cfg["MAIL_SERVER"], cfg["MAIL_PORT"])
        if cfg.get("MAIL_USE_TLS"):
            smtp.starttls()
        if cfg.get("MAIL_USERNAME"):
            smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"])
        refused = smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _text in error.recipients.values()]
        raise MailError(type(error).__name__, permanent=bool(codes) and min(codes) >= 500) from None
    except smtplib.SMTPDataError as error:
        raise MailError(type(error).__name__, permanent=error.smtp_code >= 500) from None
    except (OSError, smtplib.SMTPException) as error:
        raise MailError(type(error).__name__) from None
    else:
        if refused:
            log.warning("mail %s: %d of %d recipient(s) refused", message_id, len(refused), len(recipients))
        with contextlib.suppress(OSError, smtplib.SMTPException):
            smtp.quit()
    finally:
        watchdog.cancel()
        smtp.close()


def _cut(smtp: smtplib.SMTP) -> None:
    """The watchdog: wake a read that blocks past the deadline (shutdown wakes it; close would not)."""
    sock = smtp.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
