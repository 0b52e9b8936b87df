"""The embedded PostgreSQL's life as real `kith` processes share it: every user is registered while it
runs (pgserver itself staying out of the server process), the server outlives all but its last user,
and a user killed with SIGKILL neither stops it nor keeps it running forever."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

from tests.conftest import KithProcess, kith_cli


def users(data_dir: Path) -> list[int]:
    return json.loads((data_dir / "postgres" / ".handle_pids.json").read_text())


def postmaster_running(data_dir: Path) -> bool:
    try:
        pid = int((data_dir / "postgres" / "postmaster.pid").read_text().split()[0])
        os.kill(pid, 0)
    except (FileNotFoundError, ProcessLookupError):
        return False
    return True


def test_the_server_runs_while_any_kith_process_uses_it(tmp_path: Path):
    data_dir = tmp_path / "kith-data"
    server = KithProcess(["--data-dir", str(data_dir)]).start()
    try:
        assert users(data_dir) == [server.proc.pid]  # the server process, not the helper that started it
        maps = Path(f"/proc/{server.proc.pid}/maps").read_text()
        assert "psutil" not in maps and "pgserver" not in maps
        listed = kith_cli("user", "list", "--data-dir", str(data_dir))  # a second user comes and goes
        assert listed.returncode == 0, listed.stderr
        assert users(data_dir) == [server.proc.pid] and postmaster_running(data_dir)
    finally:
        server.stop()
    assert server.proc.returncode == 0, server.log.decode()
    assert users(data_dir) == [] and not postmaster_running(data_dir)


def test_a_killed_user_is_forgotten(tmp_path: Path):
    data_dir = tmp_path / "kith-data"
    killed = KithProcess(["--data-dir", str(data_dir)]).start()
    os.kill(killed.proc.pid, signal.SIGKILL)
    killed.proc.wait()
    assert users(data_dir) == [killed.proc.pid] and postmaster_running(data_dir)  # it never let go

    listed = kith_cli("user", "list", "--data-dir", str(data_dir))  # the next user prunes it, and is the last
    assert listed.returncode == 0, listed.stderr
    assert users(data_dir) == [] and not postmaster_running(data_dir)

    server = KithProcess(["--data-dir", str(data_dir)]).start()
    try:
        assert users(data_dir) == [server.proc.pid]
    finally:
        server.stop()
    assert users(data_dir) == [] and not postmaster_running(data_dir)
