"""A progress bar on the terminal for long `kith` commands (backup, restore, media cleanup); silent
when standard error is not a terminal (a timer's log gets only the final summary)."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Bar:
    WIDTH = 30

    def __init__(self, label: str, total: int, *, unit: str = "", out: TextIO | None = None) -> None:
        self.label, self.total, self.unit, self.done = label, max(total, 0), unit, 0
        self.out = out or sys.stderr
        self.shown = self.out.isatty()
        self._drawn_at = 0.0

    def advance(self, amount: int) -> None:
        self.done += amount
        if self.shown and (time.monotonic() - self._drawn_at > 0.1 or self.done >= self.total):
            self._drawn_at = time.monotonic()
            self._draw()

    def _draw(self) -> None:
        share = min(self.done / self.total, 1.0) if self.total else 1.0
        filled = round(share * self.WIDTH)
        self.out.write(f"\r{self.label} [{'#' * filled}{'.' * (self.WIDTH - filled)}] {share:4.0%}"
                       f" {_amount(self.done, self.unit)}")
        self.out.flush()

    def finish(self) -> None:
        if self.shown:
            self._draw()
            self.out.write("\n")
            self.out.flush()


def _amount(n: int, unit: str) -> str:
    return human_bytes(n) if unit == "bytes" else f"{n} {unit}".strip()


def human_bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")
