"""A second family of real clients: the npm libraries masto.js and megalodon, run under Debian's
nodejs against a real `kith run` (installed into tests/.cache by tests/run.sh). Each signs in with
a token, posts with media, pages the home timeline, reads notifications and hears one on the
user stream."""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from tests.api.test_mastodon_py import PASSWORD, sign_in
from tests.conftest import KithProcess, kith_cli

CACHE = Path(__file__).resolve().parents[1] / ".cache"
SCRIPTS = Path(__file__).resolve().parents[1] / "clients"


@pytest.fixture(scope="module")
def kith(database_url: str):
    server = KithProcess(["--database-url", database_url]).start()
    yield server
    server.stop()


@pytest.mark.parametrize("library", ["masto", "megalodon"])
def test_npm_client(kith, library: str):
    if not (CACHE / "node_modules" / library).is_dir():
        pytest.fail(f"{library} is missing under {CACHE}: run `bash tests/run.sh` (it installs it from npm)")
    database = kith.args[kith.args.index("--database-url") + 1]
    names = (f"{library}alice", f"{library}bob")
    for name in names:
        made = kith_cli("user", "create", name, "--password", PASSWORD, "--database-url", database)
        assert made.returncode == 0 or "already taken" in made.stderr, made.stderr
    alice, bob = (sign_in(kith, name) for name in names)
    picture = io.BytesIO()
    Image.new("RGB", (40, 40), (30, 90, 200)).save(picture, "PNG")
    script = CACHE / f"{library}_check.mjs"  # beside node_modules, where ES modules find their imports
    shutil.copy(SCRIPTS / f"{library}_check.mjs", script)
    env = {**os.environ, "KITH_URL": kith.base_url, "ALICE_TOKEN": alice.access_token,
           "BOB_TOKEN": bob.access_token, "PNG_BASE64": base64.b64encode(picture.getvalue()).decode()}
    ran = subprocess.run(["node", str(script)], env=env, capture_output=True, text=True, timeout=90)
    assert ran.returncode == 0, ran.stderr[-3000:]
    seen = json.loads(ran.stdout.strip().splitlines()[-1])
    label = "masto.js" if library == "masto" else "megalodon"
    assert seen["acct"] == names[0]
    assert seen["posted_media"] == [f"{label} square"]
    assert seen["pages"] == [[f"<p>{label} page post 3</p>", f"<p>{label} page post 2</p>"],
                             [f"<p>{label} page post 1</p>", f"<p>posted by {label}</p>"]]
    assert seen["streamed"] == "mention" and seen["notified"] is True
