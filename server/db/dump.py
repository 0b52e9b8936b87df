"""The database side of `kith backup` and `kith restore`: pg_dump out, psql back in, and the few facts
about a database they decide on.

The tools are pgserver's bundled PostgreSQL binaries, or those on PATH when the server is newer than
them (pg_dump refuses a newer server). A password never goes on a command line, where `ps` shows it:
it travels in PGPASSWORD.
"""

from __future__ import annotations

import gzip
import importlib.util
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

import asyncpg

CHUNK = 1 << 20


class BackupError(Exception):
    """A backup or restore cannot go on; the message says why and what was (not) changed."""


@dataclass(frozen=True)
class Facts:
    server_major: int
    schema_level: int | None  # the newest migration applied; None: no Kith schema here
    tables: int  # tables in the public schema
    others: int  # other client sessions on this database (a running Kith, a worker)


async def facts(url: str) -> Facts:
    try:
        conn = await asyncpg.connect(url)
    except (OSError, asyncpg.PostgresError) as exc:
        raise BackupError(f"cannot connect to the database: {exc}") from None
    try:
        tables = await conn.fetchval("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        level = None
        if await conn.fetchval("SELECT to_regclass('public.schema_migrations') IS NOT NULL"):
            level = await conn.fetchval("SELECT coalesce(max(version), 0) FROM schema_migrations")
        others = await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND backend_type = 'client backend'")
        return Facts(conn.get_server_version().major, level, tables, others)
    finally:
        await conn.close()


def connection(url: str) -> tuple[str, dict[str, str]]:
    """The URL without its password, and the environment that carries the password instead."""
    parts = urlsplit(url)
    env: dict[str, str] = {}
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user, _, password = userinfo.partition(":")
        if password:
            env["PGPASSWORD"] = unquote(password)
        netloc = f"{user}@{hostport}"
    query = []
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key == "password":
            env["PGPASSWORD"] = value
        else:
            query.append((key, value))
    clean = parts._replace(netloc=netloc, query=urlencode(query, safe="/", quote_via=quote))
    return urlunsplit(clean), env


def _bundled(name: str) -> Path | None:
    spec = importlib.util.find_spec("pgserver")  # not imported: that has side effects
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin" / name
    return path if path.is_file() else None


def _major(program: str) -> int:
    try:
        out = subprocess.run([program, "--version"], capture_output=True, text=True, timeout=30).stdout
    except OSError:
        return 0
    match = re.search(r"\(PostgreSQL\)\s*(\d+)", out)  # "pg_dump (PostgreSQL) 16.2"
    return int(match.group(1)) if match else 0


def program(name: str, at_least: int = 0) -> str:
    """pg_dump or psql: the bundled one, else PATH's, whichever is at least the server's major version."""
    candidates = [str(p) for p in (_bundled(name),) if p] + [p for p in (shutil.which(name),) if p]
    for candidate in candidates:
        if _major(candidate) >= at_least:
            return candidate
    raise BackupError(f"{name} from PostgreSQL {at_least} or newer is needed (the database server is version"
                      f" {at_least}); install it so that it is on PATH")


def _environment(extra: dict[str, str]) -> dict[str, str]:
    return {**os.environ, **extra, "PGAPPNAME": "kith-backup"}


def _tail(errors: IO[bytes]) -> str:
    errors.seek(0)
    lines = errors.read().decode(errors="replace").strip().splitlines()
    return "\n".join(lines[-5:]) or "no message"


def dump(url: str, target: Path, server_major: int) -> None:
    """Write the database as gzip-compressed SQL: one consistent snapshot (pg_dump reads in a single
    transaction, so a running instance is no problem), without owners or grants so that it loads as
    whichever role restores it."""
    dsn, env = connection(url)
    cmd = [program("pg_dump", server_major), "--format=plain", "--no-owner", "--no-privileges", "--dbname", dsn]
    with tempfile.TemporaryFile() as errors:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # password hashes, keys
        with os.fdopen(fd, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6, mtime=0) as out:
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=errors, env=_environment(env))
            assert proc.stdout is not None
            try:
                shutil.copyfileobj(proc.stdout, out, CHUNK)
            finally:
                code = proc.wait()
        if code != 0:
            raise BackupError(f"pg_dump failed:\n{_tail(errors)}")


def load(url: str, source: Path, *, replace: bool, progress: Callable[[int], None]) -> None:
    """Play a dump (gzip-compressed SQL) into the database in one transaction: on any error none of it
    stays. With `replace` the public schema is dropped first, in the same transaction, so a failure
    leaves the old contents as they were."""
    dsn, env = connection(url)
    cmd = [program("psql"), "--no-psqlrc", "--quiet", "--single-transaction", "--set", "ON_ERROR_STOP=1",
           "--dbname", dsn]
    if replace:
        cmd += ["--command", "DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;"]
    cmd += ["--file", "-"]
    with tempfile.TemporaryFile() as errors, open(source, "rb") as raw:
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=errors,
                                env=_environment(env))
        assert proc.stdin is not None
        broken = False
        try:
            with gzip.GzipFile(fileobj=raw, mode="rb") as sql:
                seen = 0
                while chunk := sql.read(CHUNK):
                    try:
                        proc.stdin.write(chunk)
                    except BrokenPipeError:  # psql stopped at an error; its message says which
                        broken = True
                        break
                    progress(raw.tell() - seen)
                    seen = raw.tell()
        finally:
            try:
                proc.stdin.close()
            except BrokenPipeError:
                broken = True
            code = proc.wait()
        if code != 0 or broken:
            raise BackupError(f"loading the database failed, so nothing of it was kept:\n{_tail(errors)}")
