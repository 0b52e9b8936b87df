"""The embedded PostgreSQL (pgserver) used when no database URL is configured.

pgserver shares one server between every process that opens the same data directory and
stops it when the last of them exits. A process killed with SIGKILL never deregisters, so
dead process ids are pruned first; otherwise the server would never be stopped again.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

log = logging.getLogger(__name__)


def _prune_dead_handles(pgdata: Path) -> None:
    handles = pgdata / ".handle_pids.json"
    try:
        pids = json.loads(handles.read_text())
    except (FileNotFoundError, ValueError):
        return
    import psutil  # with the embedded server only

    alive = [pid for pid in pids if isinstance(pid, int) and psutil.pid_exists(pid)]
    if alive != pids:
        handles.write_text(json.dumps(alive))


def start_embedded(data_dir: Path) -> str:
    """Start (or join) the embedded server under data_dir/postgres and return its URL."""
    import pgserver  # imported here: it creates a runtime directory as a side effect

    data_dir.mkdir(parents=True, exist_ok=True)
    pgdata = data_dir / "postgres"
    with pgserver.PostgresServer._lock:
        if pgdata.exists():
            _prune_dead_handles(pgdata)
    server = pgserver.get_server(pgdata, cleanup_mode="stop")
    log.info("embedded PostgreSQL running in %s", pgdata)
    return server.get_uri()


def stop_embedded(data_dir: Path) -> None:
    """Let go of the embedded server this process started or joined; it stops unless another process
    still uses it (a restore that failed must stop the server it started before removing its files)."""
    import pgserver

    server = pgserver.PostgresServer._instances.get((data_dir / "postgres").resolve())
    if server is not None:
        server.cleanup()
