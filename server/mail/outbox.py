"""Queueing mail and sending it: the workers' MailRunner takes queued mails, sends each through
the configured SMTP server (aiosmtplib) or writes it to DATA_DIR/outbox/ as an .eml file, and
retries a failed send with backoff, so a mail asked for is never lost. aiosmtplib loads with the
first mail sent, not at start."""

from __future__ import annotations

import asyncio
import logging
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import asyncpg

from federation import queue
from server.config import Config
from server.store import mail as mail_store

log = logging.getLogger(__name__)
BATCH = 20
SEND_TIMEOUT = 30.0


async def queue_mail(db: asyncpg.Pool | asyncpg.Connection, to_address: str, subject: str, body: str) -> None:
    """Queue a mail (in the caller's transaction, if any); the workers are woken at commit."""
    await mail_store.enqueue(db, to_address, subject, body)
    await queue.notify(db, "mail_outbox")


def message(cfg: Config, mail_id: int, to_address: str, subject: str, body: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = cfg.mail_from
    msg["To"] = to_address
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(idstring=str(mail_id), domain=cfg.public_domain.split(":")[0])
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(body)
    return msg


class NotSent(Exception):
    """The SMTP server refused the mail or the session failed; it is tried again later."""


async def deliver(cfg: Config, msg: EmailMessage, mail_id: int) -> None:
    """Send one mail: SMTP when configured, else an .eml file under data_dir/outbox/."""
    if cfg.smtp_host:
        import aiosmtplib

        try:
            await aiosmtplib.send(
                msg, hostname=cfg.smtp_host, port=cfg.smtp_port, username=cfg.smtp_user or None,
                password=cfg.smtp_password or None, use_tls=cfg.smtp_security == "tls",
                start_tls=cfg.smtp_security == "starttls", timeout=SEND_TIMEOUT,
            )
        except aiosmtplib.SMTPException as exc:
            raise NotSent(str(exc)) from exc
        return
    folder = cfg.data_dir / "outbox"
    path = folder / f"{mail_id}.eml"

    def write() -> None:
        folder.mkdir(parents=True, exist_ok=True)
        path.write_bytes(bytes(msg))
    await asyncio.to_thread(write)
    log.info("mail to %s written to %s (no smtp_host): %s", msg["To"], path, msg["Subject"])


class MailRunner:
    """Claims queued mails and sends them; a failure is retried with backoff for up to three days."""

    def __init__(self, pool: asyncpg.Pool, cfg: Config) -> None:
        self.pool, self.cfg = pool, cfg

    async def run_once(self, limit: int = BATCH) -> int:
        jobs = await queue.claim(self.pool, "mail_outbox", "to_address, subject, body, created_at", limit)
        for job in jobs:
            row = job.row
            try:
                await deliver(self.cfg, message(self.cfg, job.id, row["to_address"], row["subject"], row["body"]),
                              job.id)
            except (NotSent, OSError, TimeoutError) as exc:
                log.warning("mail %s to %s not sent: %s", job.id, row["to_address"], exc)
                await queue.retry(self.pool, "mail_outbox", job.id, f"{type(exc).__name__}: {exc}",
                                  queue.backoff(job.attempts), created_column="created_at")
            else:
                await queue.done(self.pool, "mail_outbox", job.id)
        return len(jobs)
