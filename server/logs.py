"""Logging for `kith` commands: one line per event, carrying the id of the HTTP request it belongs
to (`-` outside requests), as text or, with `log_format = "json"`, as one JSON object per line for
log shippers. server/web/observe.py sets the request id and writes one access line per request."""

from __future__ import annotations

import json
import logging
from contextvars import ContextVar
from datetime import UTC, datetime

from server.config import Config

REQUEST_ID: ContextVar[str] = ContextVar("request_id", default="-")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"
# Extra fields an event may carry (the access line's), kept as JSON fields rather than in the message.
EXTRA_FIELDS = ("method", "path", "route", "status", "duration_ms", "remote")


class _WithRequestId(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        event = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        event.update({name: getattr(record, name) for name in EXTRA_FIELDS if hasattr(record, name)})
        if record.exc_info:
            event["exception"] = self.formatException(record.exc_info)
        return json.dumps(event, ensure_ascii=False)


def configure(cfg: Config) -> None:
    handler = logging.StreamHandler()
    handler.addFilter(_WithRequestId())
    handler.setFormatter(JsonFormatter() if cfg.log_format == "json" else logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=cfg.log_level, handlers=[handler], force=True)
    logging.getLogger("pgserver").setLevel(logging.WARNING)  # it narrates every start at INFO
