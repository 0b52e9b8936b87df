"""How much disk the instance uses and has left, for the admins' dashboard. Walking the media
directory costs time on a large instance, so its size is measured at most every MEASURE_EVERY."""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from server.config import Config

MEASURE_EVERY = 600.0  # seconds
_measured: dict[Path, tuple[float, int]] = {}


@dataclass(frozen=True)
class DiskUse:
    media_bytes: int | None  # None: in a bucket, not on this disk
    free_bytes: int  # on the data directory's filesystem
    total_bytes: int
    low: bool  # free space under the configured warning threshold


def _tree_bytes(root: Path) -> int:
    total = 0
    for folder, _, files in os.walk(root):
        for name in files:
            try:
                total += os.lstat(os.path.join(folder, name)).st_size
            except FileNotFoundError:
                pass  # removed while we walked
    return total


async def disk_use(cfg: Config) -> DiskUse:
    media: int | None = None
    if cfg.media_storage == "local":
        root = cfg.data_dir / "media"
        known = _measured.get(root)
        if known is None or time.monotonic() - known[0] > MEASURE_EVERY:
            known = (time.monotonic(), await asyncio.to_thread(_tree_bytes, root))
            _measured[root] = known
        media = known[1]
    cfg.data_dir.mkdir(parents=True, exist_ok=True)
    usage = shutil.disk_usage(cfg.data_dir)
    return DiskUse(media, usage.free, usage.total, usage.free < cfg.min_free_disk_gb * 2**30)
