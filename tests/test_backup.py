"""`kith backup` and `kith restore` as an admin uses them: real processes on the embedded PostgreSQL.

A backup taken while `kith run` serves the instance, restored into a new data directory, serves the
same member, post, picture and keys; a non-empty or busy target is refused; a truncated, altered or
foreign file is refused with a message and the target left exactly as it was; a restore whose
database load fails midway leaves the target as it was too.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
import tarfile
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from PIL import Image

from tests.conftest import KithProcess, kith_cli

PASSWORD = "a long password for alice"
POST = "a post that must survive the backup"
MEDIA_RE = re.compile(r'/media/([0-9a-f]{32}/original\.[a-z0-9]+)')
ACTIVITY = {"Accept": "application/activity+json"}


@dataclass
class Source:
    data_dir: Path
    backup: Path
    server: KithProcess
    media_key: str
    media: bytes
    public_key: str
    nodeinfo_usage: dict


def picture() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 60)).save(out, "PNG")
    return out.getvalue()


def csrf(session: requests.Session, url: str) -> str:
    return re.search(r'name="csrf_token" value="([0-9a-f]+)"', session.get(url, timeout=10).text).group(1)


def snapshot(root: Path) -> dict[str, str]:
    """Every file outside the embedded database's own directory, with its checksum."""
    found = {}
    for parent, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if not (parent == str(root) and d == "postgres")]
        for name in names:
            path = Path(parent) / name
            found[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def restore(backup: Path, data_dir: Path, *extra: str):
    return kith_cli("restore", str(backup), "--data-dir", str(data_dir), *extra)


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Source:
    """An instance with alice, her post and its picture, backed up while it runs."""
    root = tmp_path_factory.mktemp("source")
    data_dir = root / "kith-data"
    server = KithProcess(["--data-dir", str(data_dir)]).start()
    try:
        made = kith_cli("user", "create", "alice", "--password", PASSWORD, "--data-dir", str(data_dir))
        assert made.returncode == 0, made.stderr
        browser = requests.Session()
        browser.post(f"{server.base_url}/login", timeout=10, data={
            "username": "alice", "password": PASSWORD, "csrf_token": csrf(browser, f"{server.base_url}/login")})
        posted = browser.post(f"{server.base_url}/", timeout=10, allow_redirects=False, data={
            "content": POST, "visibility": "public", "description_0": "a red rectangle",
            "csrf_token": csrf(browser, f"{server.base_url}/")}, files={"media_0": ("red.png", picture(), "image/png")})
        assert posted.status_code == 303, posted.text[:2000]
        key = MEDIA_RE.search(requests.get(f"{server.base_url}/@alice", timeout=10).text).group(1)
        media = requests.get(f"{server.base_url}/media/{key}", timeout=10)
        assert media.status_code == 200
        actor = requests.get(f"{server.base_url}/users/alice", headers=ACTIVITY, timeout=10).json()
        usage = requests.get(f"{server.base_url}/nodeinfo/2.1", timeout=10).json()["usage"]
        assert usage["users"]["total"] == 1 and usage["localPosts"] == 1

        backup = root / "kith.backup"
        taken = kith_cli("backup", str(backup), "--data-dir", str(data_dir))  # while the server runs
        assert taken.returncode == 0, taken.stderr
        assert "Backup written to" in taken.stdout and "the database (schema" in taken.stdout, taken.stdout
        assert not (root / "kith.backup.partial").exists() and backup.stat().st_mode & 0o077 == 0
    except BaseException:
        server.stop()
        raise
    yield Source(data_dir, backup, server, key, media.content, actor["publicKey"]["publicKeyPem"], usage)
    server.stop()


def test_backup_holds_the_dump_and_the_media_but_not_the_embedded_database(source: Source):
    with tarfile.open(source.backup) as tar:
        names = tar.getnames()
        manifest = json.loads(tar.extractfile(names[-1]).read())
        sql = gzip.decompress(tar.extractfile("database.sql.gz").read()).decode()
    assert names[0] == "kith-backup.json" and names[-1] == "kith-manifest.json"
    assert f"media/{source.media_key}" in names
    assert not any(n.startswith("postgres/") for n in names)
    assert manifest["format"] == "kith-backup" and manifest["schema"] >= 1
    assert {f["name"] for f in manifest["files"]} == set(names[1:-1])
    assert POST in sql and "CREATE TABLE public.accounts" in sql


def test_restored_into_a_new_data_directory_it_serves_the_same_instance(source: Source, tmp_path: Path):
    target = tmp_path / "new-data"
    restored = restore(source.backup, target)
    assert restored.returncode == 0, restored.stderr
    assert "Restored" in restored.stdout
    source.server.stop()  # the same address, so the same domain: the instance moved to a new machine
    again = KithProcess(["--data-dir", str(target)])
    again.port, again.base_url = source.server.port, source.server.base_url
    again.start()
    try:
        profile = requests.get(f"{again.base_url}/@alice", timeout=10).text
        assert POST in profile and f"/media/{source.media_key}" in profile
        media = requests.get(f"{again.base_url}/media/{source.media_key}", timeout=10)
        assert media.status_code == 200 and media.content == source.media
        actor = requests.get(f"{again.base_url}/users/alice", headers=ACTIVITY, timeout=10).json()
        assert actor["publicKey"]["publicKeyPem"] == source.public_key  # her signing key came along
        assert requests.get(f"{again.base_url}/nodeinfo/2.1", timeout=10).json()["usage"] == source.nodeinfo_usage
        browser = requests.Session()
        home = browser.post(f"{again.base_url}/login", timeout=10, data={
            "username": "alice", "password": PASSWORD, "csrf_token": csrf(browser, f"{again.base_url}/login")})
        assert "What's on your mind?" in home.text  # her password too
    finally:
        again.stop()


def test_a_non_empty_or_running_target_is_refused(source: Source, tmp_path: Path):
    if source.server.proc.poll() is not None:
        source.server.start()
    before = snapshot(source.data_dir)
    refused = restore(source.backup, source.data_dir)
    assert refused.returncode == 1 and "not empty" in refused.stderr and "--force" in refused.stderr
    busy = restore(source.backup, source.data_dir, "--force")
    assert busy.returncode == 1 and "stop Kith" in busy.stderr
    assert snapshot(source.data_dir) == before
    assert POST in requests.get(f"{source.server.base_url}/@alice", timeout=10).text

    media_only = tmp_path / "media-only"
    (media_only / "media" / "x").mkdir(parents=True)
    (media_only / "media" / "x" / "old.png").write_bytes(b"someone else's")
    refused = restore(source.backup, media_only)
    assert refused.returncode == 1 and "not empty (media in" in refused.stderr
    assert snapshot(media_only) == {"media/x/old.png": hashlib.sha256(b"someone else's").hexdigest()}
    assert not (media_only / "postgres").exists()


def _bad_files(backup: Path, where: Path) -> dict[str, tuple[Path, str]]:
    data = backup.read_bytes()
    with tarfile.open(backup) as tar:
        members = tar.getmembers()
    manifest_at = members[-1].offset
    dump = next(m for m in members if m.name == "database.sql.gz")
    altered = bytearray(data)
    altered[dump.offset_data + 100] ^= 0xFF
    foreign = io.BytesIO()
    with tarfile.open(fileobj=foreign, mode="w") as tar:
        info = tarfile.TarInfo("notes.txt")
        info.size = 5
        tar.addfile(info, io.BytesIO(b"hello"))
    with tarfile.open(backup) as tar:
        header = json.loads(tar.extractfile("kith-backup.json").read())
    newer = _rewritten(backup, {"kith-backup.json": json.dumps({**header, "schema": 9999}).encode()})
    cases = {
        "cut-in-the-dump": (data[: dump.offset_data + 1000], "damaged or incomplete"),
        "cut-before-the-manifest": (data[:manifest_at], "ends before its manifest"),
        "altered": (bytes(altered), "database.sql.gz does not match its checksum"),
        "gzipped-and-cut": (gzip.compress(data)[:3000], "damaged or incomplete"),
        "random-bytes": (os.urandom(20_000), "not a Kith backup (not a tar archive)"),
        "someone-elses-tar": (foreign.getvalue(), "not a Kith backup (it does not start with kith-backup.json)"),
        "from-a-newer-kith": (newer, "comes from a newer Kith (schema 9999"),
    }
    out = {}
    for name, (content, message) in cases.items():
        (where / name).write_bytes(content)
        out[name] = (where / name, message)
    return out


def test_truncated_altered_or_foreign_files_are_refused_leaving_the_target_untouched(source: Source, tmp_path: Path):
    files = tmp_path / "files"
    files.mkdir()
    existing = tmp_path / "existing"
    (existing / "media" / "k").mkdir(parents=True)
    (existing / "media" / "k" / "keep.png").write_bytes(b"keep me")
    for name, (path, message) in _bad_files(source.backup, files).items():
        new = tmp_path / f"new-{name}"
        refused = restore(path, new)
        assert refused.returncode == 1 and message in refused.stderr and "nothing was changed" in refused.stderr, (
            name, refused.stderr)
        assert not new.exists(), name
        forced = restore(path, existing, "--force")  # even --force does not let a bad file in
        assert forced.returncode == 1 and message in forced.stderr, (name, forced.stderr)
        assert snapshot(existing) == {"media/k/keep.png": hashlib.sha256(b"keep me").hexdigest()}, name
    assert sorted(p.name for p in tmp_path.iterdir()) == ["existing", "files"]  # no staging left behind


def _rewritten(backup: Path, changes: dict[str, bytes]) -> bytes:
    """The backup with some members' contents changed, its manifest made to match: well-formed."""
    with tarfile.open(backup) as tar:
        contents = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}
    contents.update(changes)
    manifest = json.loads(contents["kith-manifest.json"])
    for entry in manifest["files"]:
        entry["size"] = len(contents[entry["name"]])
        entry["sha256"] = hashlib.sha256(contents[entry["name"]]).hexdigest()
    contents["kith-manifest.json"] = json.dumps(manifest).encode()
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for name, data in contents.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def test_a_load_that_fails_midway_leaves_the_target_as_it_was(source: Source, tmp_path: Path):
    with tarfile.open(source.backup) as tar:
        good_sql = gzip.decompress(tar.extractfile("database.sql.gz").read())
    broken = tmp_path / "broken.backup"
    broken.write_bytes(_rewritten(source.backup, {"database.sql.gz": gzip.compress(good_sql + b"\nNOT SQL;\n")}))

    new = tmp_path / "new"
    failed = restore(broken, new)
    assert failed.returncode == 1 and "loading the database failed" in failed.stderr, failed.stderr
    assert not new.exists()

    source.server.stop()  # --force replaces a stopped instance's data; this load fails, so nothing does
    (source.data_dir / "media" / "stray.txt").write_text("not in the backup")
    before = snapshot(source.data_dir)
    failed = restore(broken, source.data_dir, "--force")
    assert failed.returncode == 1 and "loading the database failed" in failed.stderr, failed.stderr
    assert snapshot(source.data_dir) == before
    listed = kith_cli("user", "list", "--data-dir", str(source.data_dir))
    assert listed.returncode == 0 and re.search(r"^alice\tmember", listed.stdout, re.M)

    replaced = restore(source.backup, source.data_dir, "--force")  # a good one with --force replaces it all
    assert replaced.returncode == 0, replaced.stderr
    assert snapshot(source.data_dir) == {k: v for k, v in before.items() if k != "media/stray.txt"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.backup"]
