"""Logging for `kith` commands: one line per event, carrying the id of the HTTP request it belongs
to (`-` outside requests), as text or, with `log_format = "json"`, as one JSON object per line for
log shippers. server/web/observe.py sets the request id and writes one access line per request."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
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


class _PerSecond:
    """A timestamp's text up to the second, formatted once a second: there is a line per request."""

    def __init__(self, render: Callable[[int], str]) -> None:
        self.render = render
        self.cached = (-1, "")  # one tuple, swapped whole: threads log too

    def __call__(self, created: float) -> str:
        second, text = self.cached
        if int(created) != second:
            second = int(created)
            text = self.render(second)
            self.cached = (second, text)
        return text


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)
        self._stamp = _PerSecond(lambda second: time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(second)))

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return f"{self._stamp(record.created)},{int(record.msecs):03d}"


class JsonFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__()
        self._stamp = _PerSecond(lambda second: datetime.fromtimestamp(second, UTC).isoformat()[:19])

    def format(self, record: logging.LogRecord) -> str:
        event = {
            "time": f"{self._stamp(record.created)}.{int(record.msecs):03d}+00:00",
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
    # What no line shows, no record gathers (the logging HOWTO's "Optimization"): the caller's
    # file and line, and the thread, process and task names.
    logging._srcfile = None
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    logging.logAsyncioTasks = False
    handler = logging.StreamHandler()
    handler.addFilter(_WithRequestId())
    handler.setFormatter(JsonFormatter() if cfg.log_format == "json" else TextFormatter())
    logging.basicConfig(level=cfg.log_level, handlers=[handler], force=True)
    logging.getLogger("pgserver").setLevel(logging.WARNING)  # it narrates every start at INFO
