"""The embedded PostgreSQL (pgserver) used when no database URL is configured.

pgserver shares one server between every process that uses the same data directory: their process
ids are in postgres/.handle_pids.json, and the server stops when the last of them lets go. A
process killed with SIGKILL never lets go, so dead process ids are pruned first; otherwise the
server would never be stopped again.

pgserver (and psutil, platformdirs, fasteners with it) is only ever imported by a short-lived helper,
this file run as a script, which makes the calling process the user instead of itself: imported
into `kith run`, it would hold about 1.3 MiB of resident memory for the life of the server. The
caller runs the helper again when it exits, or in stop_embedded, to let go.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import subprocess
import sys
import warnings
from collections.abc import Callable
from functools import partial
from pathlib import Path

log = logging.getLogger(__name__)
_leaving: dict[Path, Callable[[], object]] = {}  # data dir -> the exit hook that lets go of its server


def start_embedded(data_dir: Path) -> str:
    """Start (or join) the embedded server under data_dir/postgres and return its URL. This process
    uses it until it exits or calls stop_embedded."""
    data_dir = data_dir.resolve()
    url = _helper("join", data_dir)
    if data_dir not in _leaving:
        _leaving[data_dir] = leave = partial(_helper, "leave", data_dir)
        atexit.register(leave)
    log.info("embedded PostgreSQL running in %s", data_dir / "postgres")
    return url


def stop_embedded(data_dir: Path) -> None:
    """Let go of the embedded server this process started or joined; it stops unless another process
    still uses it (a restore that failed must stop the server it started before removing its files)."""
    leave = _leaving.pop(data_dir.resolve(), None)
    if leave is not None:
        atexit.unregister(leave)
        leave()


def _helper(action: str, data_dir: Path) -> str:
    """Run this file as a script for this process; its errors go to our stderr. -P keeps this file's
    folder off its import path, where our modules would shadow any top-level ones of the same name."""
    done = subprocess.run([sys.executable, "-P", __file__, action, str(data_dir), str(os.getpid())],
                          stdout=subprocess.PIPE, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the embedded PostgreSQL in {data_dir / 'postgres'} failed to {action} (see above)")
    return done.stdout.strip()


def _forget(pgdata: Path, pids: set[int]) -> None:
    """Drop these and dead process ids from the server's users. The caller holds pgserver's lock."""
    import psutil

    handles = pgdata / ".handle_pids.json"
    try:
        listed = json.loads(handles.read_text())
    except (FileNotFoundError, ValueError):
        return
    kept = [pid for pid in listed if isinstance(pid, int) and pid not in pids and psutil.pid_exists(pid)]
    if kept != listed:
        handles.write_text(json.dumps(kept))


def _join(pgdata: Path, user: int) -> str:
    """Start or join the server, register `user` as a user of it and return its URL. This helper is a
    user too until it exits (pgserver lets go at exit), so the server cannot stop in between."""
    import pgserver

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    with pgserver.PostgresServer._lock:
        _forget(pgdata, set())
    server = pgserver.get_server(pgdata, cleanup_mode="stop")
    with pgserver.PostgresServer._lock:
        server.global_process_id_list.get_and_add(user)
    return server.get_uri()


def _leave(pgdata: Path, user: int) -> None:
    """Deregister `user`; stop the server if nobody else uses it, as pgserver would in `user` itself."""
    import pgserver
    from pgserver.utils import PostmasterInfo

    postmaster = PostmasterInfo.read_from_pgdata(pgdata)
    if postmaster is None or not postmaster.is_running():  # nothing to stop: only forget `user`
        with pgserver.PostgresServer._lock:
            _forget(pgdata, {user})
        return
    server = pgserver.get_server(pgdata, cleanup_mode="stop")  # joins: `user` keeps it running meanwhile
    with pgserver.PostgresServer._lock:
        _forget(pgdata, {user})
    server.cleanup()  # this helper lets go: the server stops if it was the last user


if __name__ == "__main__":
    # platformdirs warns on every start and stop when XDG_RUNTIME_DIR is unset (root, services); its
    # fallback under /tmp is fine for pgserver's lock files.
    warnings.filterwarnings("ignore", "XDG_RUNTIME_DIR is not set")
    action, data_dir, pid = sys.argv[1:]
    pgdata = Path(data_dir) / "postgres"
    if action == "join":
        print(_join(pgdata, int(pid)))
    elif action == "leave":
        _leave(pgdata, int(pid))
    else:
        sys.exit(f"unknown action {action!r}: join or leave")
