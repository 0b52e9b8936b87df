"""`kith backup` and `kith restore`: one tar file holding the database and the data directory's files,
checked end to end before a restore touches anything.

The archive, in order: kith-backup.json (what this is, so a foreign file is refused at once), then
database.sql.gz (pg_dump's consistent snapshot, taken while the instance runs), then the files under
media/, archives/, imports/ and outbox/, and last kith-manifest.json with every member's size and
SHA-256: a file cut short lacks it, so truncation is caught even at a member boundary. The embedded
database's own directory (postgres/) is never copied: its files are not consistent while it runs.
Accounts' signing keys and the instance's secrets live in the database, so they come along.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import io
import json
import os
import shutil
import sys
import tarfile
import tempfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any
from urllib.parse import urlsplit

from federation.nodeinfo import VERSION as KITH_VERSION
from server.config import Config
from server.db import dump
from server.db.dump import BackupError
from server.db.embedded import start_embedded, stop_embedded
from server.db.migrate import migration_files
from server.progress import Bar, human_bytes

FORMAT = "kith-backup"
FORMAT_VERSION = 1
HEADER = "kith-backup.json"
MANIFEST = "kith-manifest.json"
DUMP = "database.sql.gz"
# The data directory's folders worth keeping: media, members' archives being offered for download,
# uploaded archives waiting to be imported, and mail written to files when no SMTP server is set.
FOLDERS = ("media", "archives", "imports", "outbox")
CHUNK = 1 << 20

__all__ = ["BackupError", "create", "restore"]


class _Reader:
    """A file read through: every chunk hashed and counted (for the manifest and the progress bar)."""

    def __init__(self, raw: IO[bytes], advance: Callable[[int], None], *, hashed: bool = True) -> None:
        self.raw, self.advance, self.count = raw, advance, 0
        self.hash = hashlib.sha256() if hashed else None

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        if self.hash is not None:
            self.hash.update(data)
        self.count += len(data)
        self.advance(len(data))
        return data


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), 0o600, int(datetime.now(UTC).timestamp())
    tar.addfile(info, io.BytesIO(data))


def _add_file(tar: tarfile.TarFile, name: str, path: Path, advance: Callable[[int], None]) -> dict[str, Any] | None:
    """One file into the archive, hashed on the way; None when it went away meanwhile (media cleanup)."""
    try:
        raw = open(path, "rb")  # noqa: SIM115 - closed below
    except FileNotFoundError:
        return None
    with raw:
        stat = os.fstat(raw.fileno())
        info = tarfile.TarInfo(name)
        info.size, info.mode, info.mtime = stat.st_size, 0o600, int(stat.st_mtime)
        reader = _Reader(raw, advance)  # files are replaced by renaming, never rewritten in place
        tar.addfile(info, reader)
        assert reader.hash is not None
        return {"name": name, "size": reader.count, "sha256": reader.hash.hexdigest()}


def _walk(data_dir: Path, folders: tuple[str, ...], skip: set[Path]) -> list[tuple[str, Path, int]]:
    """(archive name, path, size) of every file to keep, in a stable order. Hidden files are skipped:
    they are files being written beside their final name."""
    found = []
    for folder in folders:
        for parent, dirs, names in os.walk(data_dir / folder):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(names):
                path = Path(parent) / name
                if name.startswith(".") or path in skip or path.is_symlink():
                    continue
                try:
                    size = path.stat().st_size
                except FileNotFoundError:
                    continue
                found.append((path.relative_to(data_dir).as_posix(), path, size))
    return found


def _database(cfg: Config) -> str:
    """The database to back up: the configured one, or the embedded one, which must already exist
    (a mistyped --data-dir would otherwise back up a new, empty database)."""
    if cfg.database_url:
        return cfg.database_url
    if not (cfg.data_dir / "postgres" / "PG_VERSION").is_file():
        raise BackupError(f"there is no Kith database in {cfg.data_dir}: check --data-dir (or give --database-url)")
    return start_embedded(cfg.data_dir)


def create(cfg: Config, target: Path) -> str:
    """Write the backup to `target`, through `target.partial`, so a failed backup leaves no
    plausible-looking file. Returns what to tell the admin."""
    target = target.absolute()
    if target.is_dir():
        raise BackupError(f"{target} is a directory: name the file to write")
    if not target.parent.is_dir():
        raise BackupError(f"{target.parent} does not exist")
    url = _database(cfg)
    found = asyncio.run(dump.facts(url))
    if found.schema_level is None:
        raise BackupError("the database holds no Kith schema: check --data-dir or --database-url")
    folders = tuple(f for f in FOLDERS if not (f == "media" and cfg.media_storage == "s3"))
    partial = target.with_name(target.name + ".partial")
    sql = target.with_name(f".{target.name}.sql.gz")
    header = {"format": FORMAT, "version": FORMAT_VERSION, "kith": KITH_VERSION,
              "created_at": datetime.now(UTC).isoformat(timespec="seconds"), "schema": found.schema_level,
              "postgresql": found.server_major, "folders": list(folders),
              "media": "in the S3 bucket, not in this backup" if cfg.media_storage == "s3" else "included"}
    try:
        if sys.stderr.isatty():
            print("Dumping the database…", file=sys.stderr, flush=True)
        dump.dump(url, sql, found.server_major)
        files = _walk(cfg.data_dir, folders, {target, partial, sql})
        bar = Bar("Writing the backup", sql.stat().st_size + sum(size for _, _, size in files), unit="bytes")
        listed = []
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # it holds keys and password hashes
        with os.fdopen(fd, "wb") as raw:
            with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
                _add_bytes(tar, HEADER, json.dumps(header, indent=1).encode())
                entry = _add_file(tar, DUMP, sql, bar.advance)
                assert entry is not None
                listed.append(entry)
                for name, path, _ in files:
                    if (entry := _add_file(tar, name, path, bar.advance)) is not None:
                        listed.append(entry)
                _add_bytes(tar, MANIFEST, json.dumps({**header, "files": listed}, indent=1).encode())
            raw.flush()
            os.fsync(raw.fileno())
        bar.finish()
        os.replace(partial, target)
    except BaseException as exc:
        partial.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise BackupError(f"cannot write the backup: {exc}; no backup was written") from None
        raise
    finally:
        sql.unlink(missing_ok=True)
    media = listed[1:]
    lines = [f"Backup written to {target} ({human_bytes(target.stat().st_size)}): the database (schema"
             f" {found.schema_level}) and {_files(len(media))} ({human_bytes(sum(e['size'] for e in media))})"
             f" from {', '.join(folders)}."]
    if cfg.media_storage == "s3":
        lines.append("Media files are in the S3 bucket and are NOT in this backup: back the bucket up as well.")
    return "\n".join(lines)


def _files(n: int) -> str:
    return f"{n} file{'' if n == 1 else 's'}"


@dataclass
class _Unpacked:
    header: dict[str, Any]
    files: list[dict[str, Any]]  # the manifest's list, the dump first


def _damaged(source: Path, why: str) -> BackupError:
    return BackupError(f"{source} is damaged or incomplete ({why}); nothing was changed")


def _foreign(source: Path, why: str) -> BackupError:
    return BackupError(f"{source} is not a Kith backup ({why}); nothing was changed")


def _member_name(source: Path, member: tarfile.TarInfo) -> str:
    """The member's path if it is one a backup holds: a plain file, the dump or under a known folder."""
    path = PurePosixPath(member.name)
    parts = path.parts
    ok = (member.isreg() and not path.is_absolute() and ".." not in parts and "\x00" not in member.name
          and (member.name == DUMP or (len(parts) >= 2 and parts[0] in FOLDERS)))
    if not ok:
        raise _foreign(source, f"it holds {member.name[:100]!r}")
    return member.name


def _read_json(tar: tarfile.TarFile, member: tarfile.TarInfo, limit: int) -> Any:
    if not member.isreg() or member.size > limit:
        raise ValueError("not a small file")
    handle = tar.extractfile(member)
    assert handle is not None
    return json.loads(handle.read())


def _unpack(source: Path, into: Path) -> _Unpacked:
    """Extract the archive into `into`, checking it all: our header first, then every member against
    the manifest at the end. Any failure raises before the target is looked at."""
    bar = Bar("Checking the backup", source.stat().st_size, unit="bytes")
    seen: dict[str, tuple[int, str]] = {}
    manifest: dict[str, Any] | None = None
    try:
        with open(source, "rb") as raw:
            try:  # any compression (a backup gzipped afterwards still restores), read once, in order
                tar = tarfile.open(fileobj=_Reader(raw, bar.advance, hashed=False), mode="r|*")
            except tarfile.TarError:
                raise _foreign(source, "not a tar archive") from None
            with tar:
                first = tar.next()
                try:
                    header = _read_json(tar, first, 64 * 1024) if first and first.name == HEADER else None
                except ValueError:
                    header = None
                if not isinstance(header, dict) or header.get("format") != FORMAT:
                    raise _foreign(source, f"it does not start with {HEADER}")
                if not isinstance(header.get("version"), int) or header["version"] > FORMAT_VERSION:
                    raise BackupError(f"{source} was made by a newer Kith (backup format {header.get('version')}):"
                                      " upgrade Kith first; nothing was changed")
                while (member := tar.next()) is not None:
                    if manifest is not None:
                        raise _damaged(source, f"{member.name[:100]!r} follows the manifest")
                    if member.name == MANIFEST:
                        try:
                            manifest = _read_json(tar, member, 1 << 30)
                        except ValueError:
                            raise _damaged(source, "its manifest cannot be read") from None
                        continue
                    name = _member_name(source, member)
                    if name in seen:
                        raise _damaged(source, f"{name} is in it twice")
                    seen[name] = _extract(tar, member, into / name)
                    if seen[name][0] != member.size:
                        raise _damaged(source, f"{name} is cut short")
    except (tarfile.TarError, EOFError, zlib.error) as exc:
        raise _damaged(source, str(exc) or type(exc).__name__) from None
    except gzip.BadGzipFile as exc:
        raise _damaged(source, str(exc)) from None
    except OSError as exc:
        raise BackupError(f"cannot unpack {source}: {exc}; nothing was changed") from None
    bar.finish()
    if manifest is None:
        raise _damaged(source, "it ends before its manifest: was it cut short?")
    try:
        expected = {f["name"]: (f["size"], f["sha256"]) for f in manifest["files"]}
    except (KeyError, TypeError):
        raise _damaged(source, "its manifest cannot be read") from None
    if DUMP not in expected:
        raise _damaged(source, "it has no database dump")
    for name in expected.keys() | seen.keys():
        if name not in seen:
            raise _damaged(source, f"{name} is missing")
        if name not in expected:
            raise _damaged(source, f"{name} is not in its manifest")
        if seen[name][0] != expected[name][0]:
            raise _damaged(source, f"{name} has {seen[name][0]} bytes, not {expected[name][0]}")
        if seen[name][1] != expected[name][1]:
            raise _damaged(source, f"{name} does not match its checksum")
    return _Unpacked(header, manifest["files"])


def _extract(tar: tarfile.TarFile, member: tarfile.TarInfo, target: Path) -> tuple[int, str]:
    handle = tar.extractfile(member)
    assert handle is not None
    target.parent.mkdir(parents=True, exist_ok=True)
    digest, count = hashlib.sha256(), 0
    with open(target, "xb") as out:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            count += len(chunk)
            out.write(chunk)
    return count, digest.hexdigest()


def _occupied(data_dir: Path) -> list[str]:
    """The data directory's folders that hold files (empty folders do not make a target non-empty)."""
    return [f for f in FOLDERS if any(names for _, _, names in os.walk(data_dir / f))]


def _swap_in(data_dir: Path, new: Path, old: Path) -> list[str]:
    """Each folder of the data directory replaced by the backup's; the old ones kept in `old` until
    the database is in, so a failure can put them back."""
    old.mkdir()
    swapped = []
    for folder in FOLDERS:
        if (data_dir / folder).exists():
            os.replace(data_dir / folder, old / folder)
        swapped.append(folder)
        if (new / folder).exists():
            os.replace(new / folder, data_dir / folder)
    return swapped


def _swap_back(data_dir: Path, swapped: list[str], old: Path) -> None:
    for folder in reversed(swapped):
        shutil.rmtree(data_dir / folder, ignore_errors=True)
        if (old / folder).exists():
            os.replace(old / folder, data_dir / folder)


def _describe(cfg: Config) -> str:
    if not cfg.database_url:
        return "the embedded database"
    parts = urlsplit(cfg.database_url)
    return f"the database {parts.path.lstrip('/') or '(default)'} on {parts.hostname or 'the local socket'}"


def restore(cfg: Config, source: Path, *, force: bool = False) -> str:
    """Restore `source` into the configured data directory and database. Everything is checked first;
    a non-empty target is refused unless `force`; on failure the target is left as it was."""
    if not source.is_file():
        raise BackupError(f"{source}: no such file")
    data_dir = cfg.data_dir
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{data_dir.name}.restore-", dir=data_dir.parent))
    try:
        unpacked = _unpack(source, staging / "new")
        known = max((v for v, _ in migration_files()), default=0)
        schema = unpacked.header.get("schema")
        if not isinstance(schema, int) or schema > known:
            raise BackupError(f"{source} comes from a newer Kith (schema {schema}; this one knows up to {known}):"
                              " upgrade Kith first; nothing was changed")
        return _install(cfg, source, unpacked, staging, force)
    except OSError as exc:
        raise BackupError(f"the restore failed: {exc}; the target was left as it was") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _not_empty(what: str) -> BackupError:
    return BackupError(f"the target is not empty ({what}): restore into a new data directory or an empty"
                       " database, or add --force to replace it; nothing was changed")


def _install(cfg: Config, source: Path, unpacked: _Unpacked, staging: Path, force: bool) -> str:
    data_dir = cfg.data_dir
    made_dir = not data_dir.exists()
    made_db = not cfg.database_url and not (data_dir / "postgres").exists()
    occupied = _occupied(data_dir)
    if occupied and not force:
        raise _not_empty(f"{', '.join(occupied)} in {data_dir}")
    swapped: list[str] = []
    try:
        url = cfg.database_url or start_embedded(data_dir)  # as `kith run` would: a new one is created
        found = asyncio.run(dump.facts(url))
        if found.tables and not force:
            raise _not_empty(f"{found.tables} tables in {_describe(cfg)}")
        if found.tables and found.others:
            raise BackupError(f"{found.others} other connection(s) use {_describe(cfg)}: stop Kith (kith run,"
                              " kith worker) first; nothing was changed")
        data_dir.mkdir(parents=True, exist_ok=True)
        swapped = _swap_in(data_dir, staging / "new", staging / "old")
        sql = staging / "new" / DUMP
        bar = Bar("Loading the database", sql.stat().st_size, unit="bytes")
        dump.load(url, sql, replace=found.tables > 0, progress=bar.advance)
        bar.finish()
    except BaseException:
        _swap_back(data_dir, swapped, staging / "old")
        stopped = True
        if made_db:
            try:
                stop_embedded(data_dir)
            except RuntimeError as exc:  # it may still run: keep its files, and report the first error below
                stopped = False
                print(f"kith: {exc}; its files stay in {data_dir}", file=sys.stderr)
            else:
                shutil.rmtree(data_dir / "postgres", ignore_errors=True)
        if made_dir and stopped:
            shutil.rmtree(data_dir, ignore_errors=True)
        raise
    header, files = unpacked.header, unpacked.files[1:]
    lines = [f"Restored {source} (made {header.get('created_at')} by Kith {header.get('kith')}) into {data_dir}"
             f" and {_describe(cfg)}: the database and {_files(len(files))}"
             f" ({human_bytes(sum(f['size'] for f in files))}).",
             "Start Kith as usual (kith run) with the same domain; it brings the schema up to date."]
    if header.get("media") != "included":
        lines.append("This backup has no media files: they were in an S3 bucket, restore that separately.")
    elif cfg.media_storage == "s3" and any(f["name"].startswith("media/") for f in files):
        lines.append(f"This instance keeps media in S3: copy {data_dir / 'media'} into the bucket.")
    return "\n".join(lines)
