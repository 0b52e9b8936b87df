"""Importing a member's data from CSV files in Mastodon's formats (those `exports` writes): the
whole file is checked first (a wrong header or column count is refused with its line, and nothing
is applied), then each row is queued and applied by the workers, accounts resolved through the
egress gate; a row that cannot be applied is kept with its reason for the progress page."""

from __future__ import annotations

import csv
import io
import logging
import re
from typing import Any

import asyncpg

from federation import queue
from federation.egress import EgressBadStatus
from federation.fetch import FetchError, resolve_handle
from federation.ingest import resolve_url
from federation.runtime import Federation
from server.domain import archive_import, blocking, domain_hiding, exports, following, lists, marks, muting
from server.domain.exports import FOLLOWS_HEADER, KINDS, MUTES_HEADER
from server.domain.moderation import normalise_domain
from server.errors import AppError, Invalid
from server.media.storage import storage_for
from server.models import Account
from server.store import accounts as accounts_store
from server.store import imports as imports_store
from server.store import lists as lists_store

log = logging.getLogger(__name__)
MAX_ROWS = 20_000  # per file, as documented in README.md
MAX_BYTES = 4 * 1024 * 1024
MODES = ("merge", "overwrite")
BATCH = 20
MAX_ATTEMPTS = 4  # a row whose account cannot be reached is tried again with backoff, then reported
ADDRESS = re.compile(r"^@?([A-Za-z0-9_.-]{1,100})@([A-Za-z0-9.-]{1,253}(:\d{1,5})?)$")
# (fewest, most) columns of each file, and the header row Mastodon writes (or accepts) for it.
COLUMNS = {"follows": (1, 4), "lists": (2, 2), "blocks": (1, 1), "mutes": (1, 2), "domain_blocks": (1, 1),
           "bookmarks": (1, 1)}
WHAT = {"domain_blocks": "a domain", "bookmarks": "a post URL"}
HEADERS = {"follows": FOLLOWS_HEADER, "mutes": MUTES_HEADER, "blocks": ["Account address"],
           "domain_blocks": ["#domain"], "lists": [], "bookmarks": []}


def _target(kind: str, fields: list[str]) -> str | None:
    """What the row names (an address, a domain or a post URL), or None if it is not one."""
    value = (fields[1] if kind == "lists" else fields[0]).strip()
    if kind == "domain_blocks":
        try:
            return normalise_domain(value)
        except Invalid:
            return None
    if kind == "bookmarks":
        return value if re.match(r"^https?://\S+$", value) else None
    return value.lstrip("@") if ADDRESS.match(value) else None


def _flag(value: str, default: bool) -> bool:
    return {"true": True, "false": False}.get(value.strip().lower(), default)


def parse(kind: str, text: str) -> list[dict[str, Any]]:
    """The file's rows (line, target and options), or Invalid naming the first bad line."""
    if kind not in KINDS:
        raise Invalid(f"Choose what the file holds: {', '.join(KINDS)}.", field="kind")
    fewest, most = COLUMNS[kind]
    rows: list[dict[str, Any]] = []
    for line, fields in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not any(f.strip() for f in fields):
            continue
        if not fewest <= len(fields) <= most:
            raise Invalid(f"Line {line} has {len(fields)} column{'s' if len(fields) != 1 else ''}; a {kind} file has"
                          f" {fewest if fewest == most else f'{fewest} to {most}'} (Mastodon's format).", field="file")
        target = _target(kind, fields)
        if target is None:
            header = HEADERS[kind]
            if line == 1 and header and [f.strip() for f in fields] == header[:len(fields)]:
                continue  # Mastodon's own header row
            if line == 1 and header:
                raise Invalid(f"Line 1 is not Mastodon's header for {kind} ({','.join(header)}), nor a row.",
                              field="file")
            named = fields[1 if kind == "lists" else 0][:100]
            raise Invalid(f"Line {line}: {named!r} is not {WHAT.get(kind, 'an account address (user@server)')}.",
                          field="file")
        row: dict[str, Any] = {"line": line, "target": target}
        if kind == "follows":
            row["show_reblogs"] = _flag(fields[1], True) if len(fields) > 1 else True
            row["notify"] = _flag(fields[2], False) if len(fields) > 2 else False
        elif kind == "mutes":
            row["notifications"] = _flag(fields[1], True) if len(fields) > 1 else True
        elif kind == "lists":
            row["list"] = fields[0].strip()[:lists.MAX_TITLE]
        rows.append(row)
        if len(rows) > MAX_ROWS:
            raise Invalid(f"A file can have at most {MAX_ROWS:,} rows; this one has more. Split it.", field="file")
    if not rows:
        raise Invalid("The file has no rows.", field="file")
    return rows


async def start(pool: asyncpg.Pool, fed: Federation, member: Account, kind: str, mode: str, filename: str,
                text: str) -> int:
    """Check the whole file, then queue its rows (and, to overwrite, undo what the file leaves out)."""
    if mode not in MODES:
        raise Invalid("Choose merge or overwrite.", field="mode")
    rows = parse(kind, text)
    if mode == "overwrite":
        await _remove_missing(pool, fed, member, kind, rows)
    async with pool.acquire() as conn, conn.transaction():
        job_id = await imports_store.create_job(conn, member.id, kind, mode, filename[:200], rows)
        await queue.notify(conn, "import_rows")
    return job_id


def _same(address: str, other: str, fed: Federation) -> bool:
    local = fed.urls.host.lower()
    canonical = [a.lower().lstrip("@").removesuffix(f"@{local}") for a in (address, other)]
    return canonical[0] == canonical[1]


async def _remove_missing(pool: asyncpg.Pool, fed: Federation, member: Account, kind: str,
                          rows: list[dict[str, Any]]) -> None:
    """Overwrite: what the member has now of this kind but the file does not name is undone."""
    current = csv.reader(io.StringIO(await exports.export_csv(pool, fed.urls, member.id, kind)))  # as in a file
    wanted = [row["target"] for row in rows]
    for fields in current:
        target = _target(kind, fields) if fields else None
        if target is None:
            continue  # the header row
        if kind == "domain_blocks":
            if target not in wanted:
                await domain_hiding.hide(pool, member.id, target, hidden=False)
            continue
        if kind == "bookmarks":
            if target not in wanted:
                found = await resolve_url(fed, target, fetch_remote=False)
                if found.status_id is not None:
                    await marks.bookmark(pool, member, found.status_id, undo=True)
            continue
        if kind == "lists":
            continue  # lists are only added to: removing would need the list's own choices
        if any(_same(target, other, fed) for other in wanted):
            continue
        account = await _known_account(pool, fed, target)
        if account is None:
            continue
        if kind == "follows":
            await following.unfollow(pool, fed.urls, member, account)
        elif kind == "blocks":
            await blocking.block(pool, fed.urls, member, account, undo=True)
        elif kind == "mutes":
            await muting.unmute(pool, member, account)


async def _known_account(pool: asyncpg.Pool, fed: Federation, address: str) -> Account | None:
    username, _, host = address.lstrip("@").partition("@")
    if host.lower() == fed.urls.host.lower():
        return await accounts_store.get_local(pool, username)
    return await accounts_store.get_remote(pool, username, host)


async def _account(fed: Federation, address: str) -> Account:
    """The account an address names: a member here, or one resolved through WebFinger."""
    known = await _known_account(fed.pool, fed, address)
    if known is not None:
        return known
    if address.lstrip("@").partition("@")[2].lower() == fed.urls.host.lower():
        raise Invalid(f"There is no member {address} here.")
    return await resolve_handle(fed, address)


async def apply(fed: Federation, member: Account, kind: str, row: dict[str, Any]) -> None:
    """Apply one row; Invalid/AppError when it cannot be (reported), FetchError when it may later."""
    pool, urls = fed.pool, fed.urls
    if kind == "archive":
        await archive_import.import_post(pool, fed.config, storage_for(fed.config), member, row)
        return
    if kind == "domain_blocks":
        await domain_hiding.hide(pool, member.id, row["target"])
        return
    if kind == "bookmarks":
        found = await resolve_url(fed, row["target"])
        if found.status_id is None:
            raise Invalid("That address is not a post.")
        await marks.bookmark(pool, member, found.status_id)
        return
    account = await _account(fed, row["target"])
    if account.id == member.id:
        raise Invalid("That is your own account.")
    if kind == "follows":
        await following.follow(pool, urls, member, account)
        await following.set_options(pool, member, account, show_reblogs=row["show_reblogs"], notify=row["notify"])
    elif kind == "blocks":
        await blocking.block(pool, urls, member, account)
    elif kind == "mutes":
        await muting.mute(pool, member, account, notifications=row["notifications"])
    elif kind == "lists":
        owned = {entry.title: entry for entry in await lists_store.owned(pool, member.id)}
        target_list = owned.get(row["list"]) or await lists.create(pool, member.id, row["list"], "list", False)
        if not await lists_store.already_in(pool, target_list.id, [account.id]):
            await lists.add_members(pool, member.id, target_list.id, [account.id])


class ImportRunner:
    """Claims queued import rows and applies each for its member."""

    def __init__(self, fed: Federation) -> None:
        self.fed = fed

    async def run_once(self, limit: int = BATCH) -> int:
        pool = self.fed.pool
        jobs = await queue.claim(pool, "import_rows", "job_id, data, created_at", limit)
        for job in sorted(jobs, key=lambda j: j.id):
            owner = await imports_store.job_of_row(pool, job.id)
            member = await accounts_store.get_by_id(pool, owner[0]) if owner else None
            try:
                if member is None or member.suspended_at is not None:
                    raise Invalid("The account is gone.")
                await apply(self.fed, member, owner[1], job.row["data"])
            except (Invalid, AppError) as exc:
                await queue.dead(pool, "import_rows", job.id, exc.message)
            except FetchError as exc:
                gone = isinstance(exc.__cause__, EgressBadStatus) and exc.__cause__.status in (404, 410)
                if gone or job.attempts >= MAX_ATTEMPTS:
                    await queue.dead(pool, "import_rows", job.id, f"could not be reached: {exc}")
                else:
                    await queue.retry(pool, "import_rows", job.id, str(exc), queue.backoff(job.attempts),
                                      created_column="created_at")
            except Exception as exc:  # a bug or the database: keep the row and try again later
                log.exception("import row %s failed", job.id)
                await queue.retry(pool, "import_rows", job.id, f"{type(exc).__name__}: {exc}",
                                  queue.backoff(job.attempts), created_column="created_at")
            else:
                await queue.done(pool, "import_rows", job.id)
            if owner and owner[1] == "archive" and not await imports_store.pending_rows(pool, job.row["job_id"]):
                archive_import.forget(self.fed.config, job.row["data"]["archive"])  # the last post is in
        return len(jobs)
