"""The `toot` command-line client (a second, independent Mastodon client) against a real `kith run`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import KithProcess, kith_cli

TOOT = shutil.which("toot") or str(Path(sys.executable).parent / "toot")


@pytest.fixture(scope="module")
def kith(database_url: str):
    server = KithProcess(["--database-url", database_url]).start()
    yield server
    server.stop()


def test_toot_logs_in_posts_and_reads(kith: KithProcess, database_url: str, tmp_path: Path):
    made = kith_cli("user", "create", "tooter", "--password", "toot password", "--email", "tooter@example.org",
                    "--database-url", database_url)
    assert made.returncode == 0 or "already" in made.stderr, made.stderr
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path), "HOME": str(tmp_path)}

    def toot(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([TOOT, *args], env=env, capture_output=True, text=True, timeout=60)

    login = toot("login_cli", "--instance", kith.base_url, "--email", "tooter@example.org",
                 "--password", "toot password")
    assert login.returncode == 0, login.stdout + login.stderr
    posted = toot("post", "Tooted from the command line #cli", "--visibility", "unlisted")
    assert posted.returncode == 0 and "Toot posted" in posted.stdout, posted.stdout + posted.stderr
    whoami = toot("whoami")
    assert whoami.returncode == 0 and "@tooter" in whoami.stdout, whoami.stdout + whoami.stderr
    timeline = toot("timeline", "--once")
    assert timeline.returncode == 0 and "Tooted from the command line" in timeline.stdout, \
        timeline.stdout + timeline.stderr
    wrong = toot("login_cli", "--instance", kith.base_url, "--email", "tooter@example.org", "--password", "nope")
    assert wrong.returncode != 0
