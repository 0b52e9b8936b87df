"""Log lines: the timestamp (formatted once a second) and the request id, as text and as JSON."""

from __future__ import annotations

import json
import logging
import time

from server.logs import JsonFormatter, TextFormatter


def record(created: float, message: str = "hello %s", args: tuple = ("there",)) -> logging.LogRecord:
    rec = logging.LogRecord("kith.test", logging.INFO, __file__, 1, message, args, None)
    rec.created, rec.msecs = created, (created - int(created)) * 1000
    rec.request_id = "abc12345"
    return rec


def test_json_lines_carry_the_utc_time_to_the_millisecond() -> None:
    formatter = JsonFormatter()
    base = 1_764_950_400.0  # 2025-12-05T16:00:00Z
    lines = [json.loads(formatter.format(record(base + offset))) for offset in (0.25, 0.5, 1.75, 0.125)]
    assert [line["time"] for line in lines] == [
        "2025-12-05T16:00:00.250+00:00",
        "2025-12-05T16:00:00.500+00:00",
        "2025-12-05T16:00:01.750+00:00",
        "2025-12-05T16:00:00.125+00:00",  # back to an earlier second (a thread's late record)
    ]
    assert lines[0]["message"] == "hello there" and lines[0]["request_id"] == "abc12345"


def test_text_lines_carry_the_local_time_as_logging_does() -> None:
    formatter = TextFormatter()
    plain = logging.Formatter("%(asctime)s")
    for created in (1_764_950_400.25, 1_764_950_400.5, 1_764_950_461.999, 1_764_950_400.0):
        line = formatter.format(record(created))
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(int(created)))
        assert line.startswith(f"{stamp},{int((created % 1) * 1000):03d} INFO kith.test [abc12345]: hello there")
        assert line.split(" INFO")[0] == plain.format(record(created))
