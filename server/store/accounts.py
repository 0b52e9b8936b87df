"""Every query on accounts and local users."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

import asyncpg

from server.models import Account, Preferences, Role, User
from server.store.paging import Page, Paged

Executor = asyncpg.Connection | asyncpg.Pool

_COLUMNS = (
    "id", "username", "domain", "display_name", "note", "uri", "url", "locked", "created_at", "suspended_at",
    "discoverable", "actor_type", "avatar_url", "header_url", "fields", "sensitized_at", "hide_collections",
    "emojis", "also_known_as", "moved_to_uri", "indexable",
)
ACCOUNT_COLUMNS = ", ".join(f"a.{c}" for c in _COLUMNS)


def account_columns(alias: str, prefix: str) -> str:
    """The account columns of table `alias`, renamed with `prefix` (to select them beside others)."""
    return ", ".join(f"{alias}.{c} AS {prefix}{c}" for c in _COLUMNS)


def account_from_row(row: Any, prefix: str = "") -> Account:
    """Build an Account from a row; `prefix` selects aliased columns (e.g. 'author_')."""
    values = {c: row[prefix + c] for c in _COLUMNS}
    values["fields"] = tuple((f["name"], f["value"], f.get("verified_at")) for f in values["fields"] or ())
    values["emojis"] = tuple((e["shortcode"], e["url"]) for e in values["emojis"] or ())
    values["also_known_as"] = tuple(values["also_known_as"] or ())
    return Account(**values)


async def insert_local(
    db: Executor, *, username: str, display_name: str, public_key_pem: str, private_key_pem: str
) -> Account | None:
    """Insert a local account; None when the username is taken (case-insensitively)."""
    row = await db.fetchrow(
        "INSERT INTO accounts AS a (username, display_name, public_key_pem, private_key_pem)"
        " VALUES ($1, $2, $3, $4) ON CONFLICT (lower(username)) WHERE domain IS NULL"
        f" DO NOTHING RETURNING {ACCOUNT_COLUMNS}",
        username,
        display_name,
        public_key_pem,
        private_key_pem,
    )
    return account_from_row(row) if row else None


async def insert_user(db: Executor, *, account_id: int, email: str | None, password_hash: str, role: Role,
                      email_confirmed: bool = True) -> None:
    await db.execute(
        "INSERT INTO users (account_id, email, password_hash, role, email_confirmed_at)"
        " VALUES ($1, $2, $3, $4, CASE WHEN $5 AND $2::text IS NOT NULL THEN now() END)",
        account_id, email, password_hash, role.value, email_confirmed,
    )


async def email_taken(db: Executor, email: str) -> bool:
    return bool(await db.fetchval("SELECT 1 FROM users WHERE lower(email) = lower($1)", email))


async def get_by_id(db: Executor, account_id: int) -> Account | None:
    row = await db.fetchrow(f"SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.id = $1", account_id)
    return account_from_row(row) if row else None


async def get_local(db: Executor, username: str) -> Account | None:
    row = await db.fetchrow(
        f"SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE lower(a.username) = lower($1) AND a.domain IS NULL",
        username,
    )
    return account_from_row(row) if row else None


async def get_local_many(db: Executor, usernames: list[str]) -> list[Account]:
    """Local accounts among these usernames (case-insensitive); unknown names are left out."""
    rows = await db.fetch(
        f"SELECT {ACCOUNT_COLUMNS} FROM accounts a"
        " WHERE a.domain IS NULL AND lower(a.username) = ANY($1::text[])",
        [u.lower() for u in usernames],
    )
    return [account_from_row(r) for r in rows]


USER_COLUMNS = (f"{ACCOUNT_COLUMNS}, u.email, u.role, u.default_visibility, u.default_sensitive,"
                 " u.default_language, u.time_zone, u.expand_spoilers,"
                 " CASE WHEN u.application_state <> 'approved' THEN 'approval'"
                 " WHEN u.email IS NOT NULL AND u.email_confirmed_at IS NULL THEN 'confirmation' END AS awaiting")


def user_from_row(row: asyncpg.Record) -> User:
    return User(account=account_from_row(row), email=row["email"], role=Role(row["role"]),
                preferences=Preferences(row["default_visibility"], row["default_sensitive"], row["default_language"],
                                        row["time_zone"], row["expand_spoilers"]), awaiting=row["awaiting"])


async def get_user(db: Executor, account_id: int) -> User | None:
    row = await db.fetchrow(
        f"SELECT {USER_COLUMNS} FROM users u JOIN accounts a ON a.id = u.account_id WHERE u.account_id = $1",
        account_id,
    )
    return user_from_row(row) if row else None


async def set_preferences(db: Executor, account_id: int, preferences: Preferences) -> None:
    await db.execute(
        "UPDATE users SET default_visibility = $2, default_sensitive = $3, default_language = $4, time_zone = $5,"
        " expand_spoilers = $6 WHERE account_id = $1",
        account_id, preferences.visibility, preferences.sensitive, preferences.language, preferences.time_zone,
        preferences.expand_spoilers,
    )


class Credentials(NamedTuple):
    account_id: int
    password_hash: str  # argon2


async def get_password_hash(db: Executor, username: str) -> Credentials | None:
    """The credentials of the local user with this username (or email, as apps send it), if any."""
    row = await db.fetchrow(
        "SELECT u.account_id, u.password_hash FROM users u JOIN accounts a ON a.id = u.account_id"
        " WHERE a.domain IS NULL AND (lower(a.username) = lower($1) OR lower(u.email) = lower($1))"
        " ORDER BY lower(a.username) = lower($1) DESC LIMIT 1",
        username,
    )
    return Credentials(row["account_id"], row["password_hash"]) if row else None


class MailTarget(NamedTuple):
    account_id: int
    username: str
    email: str | None
    confirmed: bool


async def mail_target(db: Executor, identifier: str) -> MailTarget | None:
    """The local member with this username or e-mail address (username first), and their address."""
    row = await db.fetchrow(
        "SELECT u.account_id, a.username, u.email, u.email_confirmed_at IS NOT NULL AS confirmed FROM users u"
        " JOIN accounts a ON a.id = u.account_id WHERE a.domain IS NULL AND a.suspended_at IS NULL"
        " AND (lower(a.username) = lower($1) OR lower(u.email) = lower($1))"
        " ORDER BY lower(a.username) = lower($1) DESC LIMIT 1",
        identifier,
    )
    return MailTarget(row["account_id"], row["username"], row["email"], row["confirmed"]) if row else None


async def mail_target_by_id(db: Executor, account_id: int) -> MailTarget | None:
    row = await db.fetchrow(
        "SELECT u.account_id, a.username, u.email, u.email_confirmed_at IS NOT NULL AS confirmed FROM users u"
        " JOIN accounts a ON a.id = u.account_id WHERE u.account_id = $1", account_id)
    return MailTarget(row["account_id"], row["username"], row["email"], row["confirmed"]) if row else None


async def set_email(db: Executor, account_id: int, email: str, *, confirmed: bool) -> None:
    await db.execute("UPDATE users SET email = $2, email_confirmed_at = CASE WHEN $3 THEN now() END"
                     " WHERE account_id = $1", account_id, email, confirmed)


async def email_confirmed(db: Executor, account_id: int) -> bool:
    """Whether the member's address is confirmed (a member without one has nothing to confirm)."""
    return bool(await db.fetchval(
        "SELECT email IS NULL OR email_confirmed_at IS NOT NULL FROM users WHERE account_id = $1", account_id))


async def confirm_email(db: Executor, account_id: int) -> None:
    await db.execute("UPDATE users SET email_confirmed_at = coalesce(email_confirmed_at, now())"
                     " WHERE account_id = $1", account_id)


async def password_hash_of(db: Executor, account_id: int) -> str | None:
    return await db.fetchval("SELECT password_hash FROM users WHERE account_id = $1", account_id)


async def set_password_hash(db: Executor, account_id: int, password_hash: str) -> None:
    await db.execute("UPDATE users SET password_hash = $2 WHERE account_id = $1", account_id, password_hash)


async def list_users(db: Executor) -> list[User]:
    rows = await db.fetch(f"SELECT {USER_COLUMNS} FROM users u JOIN accounts a ON a.id = u.account_id ORDER BY a.id")
    return [user_from_row(r) for r in rows]


async def count_local_users(db: Executor) -> int:
    return await db.fetchval("SELECT count(*) FROM users")


async def count_active_users(db: Executor, days: int) -> int:
    """Local users who posted or signed in within the last `days` days (NodeInfo's activeMonth etc.)."""
    return await db.fetchval(
        "SELECT count(*) FROM users u WHERE EXISTS ("
        "  SELECT 1 FROM web_sessions w WHERE w.account_id = u.account_id"
        "  AND w.last_seen_at > now() - make_interval(days => $1))"
        " OR EXISTS (SELECT 1 FROM statuses s WHERE s.account_id = u.account_id"
        "  AND s.created_at > now() - make_interval(days => $1))",
        days,
    )


class Keys(NamedTuple):
    public_pem: str
    private_pem: str | None  # None for remote accounts


async def get_keys(db: Executor, account_id: int) -> Keys | None:
    row = await db.fetchrow("SELECT public_key_pem, private_key_pem FROM accounts WHERE id = $1", account_id)
    return Keys(row["public_key_pem"], row["private_key_pem"]) if row else None


async def insert_instance_actor(db: Executor, username: str, public_key_pem: str, private_key_pem: str) -> Account:
    """The instance's own actor (signs fetches and instance-level activities); made once."""
    await db.execute(
        "INSERT INTO accounts (username, display_name, public_key_pem, private_key_pem, actor_type, locked,"
        " discoverable) VALUES ($1, $1, $2, $3, 'Application', true, false)"
        " ON CONFLICT (lower(username)) WHERE domain IS NULL DO NOTHING",
        username,
        public_key_pem,
        private_key_pem,
    )
    account = await get_local(db, username)
    assert account is not None
    return account


async def upsert_remote(db: Executor, actor: Any) -> Account:
    """Insert or refresh a remote actor (a federation.parse.RemoteActor), keyed by its id."""
    row = await db.fetchrow(
        "INSERT INTO accounts AS a (uri, username, domain, actor_type, display_name, note, url, inbox_url,"
        " shared_inbox_url, outbox_url, followers_url, following_url, featured_url, key_id, public_key_pem,"
        " locked, discoverable, avatar_url, header_url, fields, also_known_as, moved_to_uri, fetched_at,"
        " created_at, emojis)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,"
        " $21, $22, now(), coalesce($23, now()), $24)"
        " ON CONFLICT (uri) DO UPDATE SET display_name = EXCLUDED.display_name, note = EXCLUDED.note,"
        " url = EXCLUDED.url, inbox_url = EXCLUDED.inbox_url, shared_inbox_url = EXCLUDED.shared_inbox_url,"
        " outbox_url = EXCLUDED.outbox_url, followers_url = EXCLUDED.followers_url,"
        " following_url = EXCLUDED.following_url, featured_url = EXCLUDED.featured_url,"
        " key_id = EXCLUDED.key_id, public_key_pem = EXCLUDED.public_key_pem, locked = EXCLUDED.locked,"
        " discoverable = EXCLUDED.discoverable, avatar_url = EXCLUDED.avatar_url,"
        " header_url = EXCLUDED.header_url, fields = EXCLUDED.fields, also_known_as = EXCLUDED.also_known_as,"
        " moved_to_uri = EXCLUDED.moved_to_uri, actor_type = EXCLUDED.actor_type, fetched_at = now(),"
        " updated_at = now(), emojis = EXCLUDED.emojis"
        f" RETURNING {ACCOUNT_COLUMNS}",
        actor.uri, actor.username, actor.domain, actor.actor_type, actor.display_name, actor.note, actor.url,
        actor.inbox_url, actor.shared_inbox_url, actor.outbox_url, actor.followers_url, actor.following_url,
        actor.featured_url, actor.key_id, actor.public_key_pem, actor.locked, actor.discoverable,
        actor.avatar_url, actor.header_url, actor.fields, actor.also_known_as, actor.moved_to_uri,
        actor.published, actor.emojis,
    )
    return account_from_row(row)


async def get_by_uri(db: Executor, uri: str) -> Account | None:
    row = await db.fetchrow(f"SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.uri = $1", uri)
    return account_from_row(row) if row else None


async def fetched_at(db: Executor, uri: str) -> datetime | None:
    """When the remote actor with this id was last fetched."""
    return await db.fetchval("SELECT fetched_at FROM accounts WHERE uri = $1", uri)


async def get_remote(db: Executor, username: str, domain: str) -> Account | None:
    row = await db.fetchrow(
        f"SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE lower(a.username) = lower($1) AND lower(a.domain) = lower($2)"
        " ORDER BY (a.actor_type = 'Group'), a.fetched_at DESC NULLS LAST LIMIT 1",
        username,
        domain,
    )
    return account_from_row(row) if row else None


async def suspended_remote_uris(db: Executor) -> list[str]:
    """Remote accounts moderators suspended (deleted actors, whose key is gone, are not listed)."""
    rows = await db.fetch(
        "SELECT uri FROM accounts WHERE domain IS NOT NULL AND suspended_at IS NOT NULL AND key_id IS NOT NULL"
    )
    return [r["uri"] for r in rows]


async def mark_deleted(db: Executor, account_id: int) -> None:
    """A remote actor deleted itself: its profile is emptied and its key dropped, so nothing it
    signs verifies from now on (the key is not looked up by its id any more)."""
    await db.execute(
        "UPDATE accounts SET suspended_at = coalesce(suspended_at, now()), note = '', display_name = '',"
        " fields = '[]', key_id = NULL WHERE id = $1 AND domain IS NOT NULL",
        account_id,
    )


class RemoteKey(NamedTuple):
    owner: Account
    public_pem: str
    fetched_at: datetime | None


async def get_by_key_id(db: Executor, key_id: str) -> RemoteKey | None:
    """A remote key id's owner and public key."""
    row = await db.fetchrow(
        f"SELECT {ACCOUNT_COLUMNS}, a.public_key_pem, a.fetched_at FROM accounts a WHERE a.key_id = $1", key_id
    )
    return RemoteKey(account_from_row(row), row["public_key_pem"], row["fetched_at"]) if row else None


async def followers_url(db: Executor, account_id: int) -> str | None:
    """A remote account's followers collection (what its followers-only posts address)."""
    return await db.fetchval("SELECT followers_url FROM accounts WHERE id = $1", account_id)


async def set_moved_to(db: Executor, account_id: int, target_uri: str) -> None:
    await db.execute("UPDATE accounts SET moved_to_uri = $2, moved_at = now() WHERE id = $1", account_id, target_uri)


async def set_aliases(db: Executor, account_id: int, uris: list[str]) -> None:
    await db.execute("UPDATE accounts SET also_known_as = $2, updated_at = now() WHERE id = $1 AND domain IS NULL",
                     account_id, uris)


async def moved_recently(db: Executor, account_id: int, days: int) -> bool:
    return bool(await db.fetchval("SELECT moved_at > now() - make_interval(days => $2) FROM accounts WHERE id = $1",
                                  account_id, days))


async def update_profile(db: Executor, account_id: int, display_name: str, bio_source: str, note_html: str,
                         locked: bool, fields: list[dict[str, str]] | None = None, *, discoverable: bool = True,
                         actor_type: str = "Person", fields_source: list[dict[str, str]] | None = None,
                         hide_collections: bool = False, indexable: bool = True) -> Account:
    """Save a member's profile; `fields` None keeps the current ones. What was typed (the bio and the
    fields' values before links were made) is kept beside the HTML, for the forms that edit it."""
    row = await db.fetchrow(
        "UPDATE accounts AS a SET display_name = $2, note = $3, locked = $4, updated_at = now(),"
        " raw = jsonb_build_object('note_source', $5::text,"
        "  'fields_source', coalesce($9::jsonb, raw -> 'fields_source', '[]'::jsonb)),"
        " fields = coalesce($6, fields), discoverable = $7, actor_type = $8, hide_collections = $10, indexable = $11"
        f" WHERE id = $1 AND domain IS NULL RETURNING {ACCOUNT_COLUMNS}",
        account_id, display_name, note_html, locked, bio_source, fields, discoverable, actor_type, fields_source,
        hide_collections, indexable,
    )
    return account_from_row(row)


async def set_verified_fields(db: Executor, account_id: int, indexes: list[int],
                              typed: list[tuple[str, str]]) -> None:
    """Mark the fields at `indexes` verified now (the others not), unless the fields were changed
    since `typed` was read."""
    await db.execute(
        "UPDATE accounts SET fields = (SELECT coalesce(jsonb_agg(CASE WHEN t.ord - 1 = ANY($2::int[])"
        "  THEN t.f || jsonb_build_object('verified_at', now()) ELSE t.f - 'verified_at' END ORDER BY t.ord), '[]')"
        "  FROM jsonb_array_elements(fields) WITH ORDINALITY AS t(f, ord))"
        " WHERE id = $1 AND domain IS NULL AND coalesce(raw -> 'fields_source', '[]'::jsonb) = $3::jsonb",
        account_id, indexes, [{"name": n, "value": v} for n, v in typed],
    )


class ProfileSource(NamedTuple):
    """What the member typed: display name, the plain-text bio and fields (kept beside their HTML)."""

    display_name: str
    note: str
    fields: list[tuple[str, str]]


async def get_profile_source(db: Executor, account_id: int) -> ProfileSource:
    row = await db.fetchrow(
        "SELECT display_name, coalesce(raw ->> 'note_source', '') AS note, raw -> 'fields_source' AS typed, fields"
        " FROM accounts WHERE id = $1", account_id,
    )
    typed = row["typed"] if row["typed"] is not None else row["fields"] or []  # HTML, from before sources were kept
    return ProfileSource(row["display_name"], row["note"], [(f["name"], f["value"]) for f in typed])


async def first_admin(db: Executor) -> Account | None:
    row = await db.fetchrow(
        f"SELECT {ACCOUNT_COLUMNS} FROM users u JOIN accounts a ON a.id = u.account_id"
        " WHERE u.role = 'admin' AND a.suspended_at IS NULL ORDER BY a.id LIMIT 1"
    )
    return account_from_row(row) if row else None


async def known_domains(db: Executor) -> list[str]:
    rows = await db.fetch("SELECT DISTINCT lower(domain) AS d FROM accounts WHERE domain IS NOT NULL ORDER BY d")
    return [r["d"] for r in rows]


async def count_domains(db: Executor) -> int:
    return await db.fetchval("SELECT count(DISTINCT lower(domain)) FROM accounts WHERE domain IS NOT NULL")


async def set_picture(db: Executor, account_id: int, kind: str, path: str | None) -> None:
    """A member's avatar or header: a path under our /media/ (made absolute when rendered)."""
    column = {"avatar": "avatar_url", "header": "header_url"}[kind]
    await db.execute(f"UPDATE accounts SET {column} = $2, updated_at = now() WHERE id = $1 AND domain IS NULL",
                     account_id, path)


async def set_role(db: Executor, account_id: int, role: str) -> bool:
    done = await db.fetchval("UPDATE users SET role = $2 WHERE account_id = $1 RETURNING true", account_id, role)
    return done is not None


async def suspended(db: Executor, limit: int = 100) -> list[Account]:
    rows = await db.fetch(
        f"SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.suspended_at IS NOT NULL ORDER BY a.suspended_at DESC"
        " LIMIT $1",
        limit,
    )
    return [account_from_row(r) for r in rows]


_MODERATION_FLAGS = ("suspended_at", "limited_at", "sensitized_at")


async def set_flag(db: Executor, account_id: int, column: str, on: bool) -> bool:
    """Set or clear a moderation mark (suspended, limited, sensitized); False when it already was so."""
    if column not in _MODERATION_FLAGS:
        raise ValueError(column)
    return bool(await db.fetchval(
        f"UPDATE accounts SET {column} = {'now()' if on else 'NULL'} WHERE id = $1"
        f" AND {column} IS {'NULL' if on else 'NOT NULL'} RETURNING true", account_id))


@dataclass(frozen=True)
class Counts:
    followers: int = 0
    following: int = 0
    posts: int = 0  # public and unlisted
    last_status_at: date | None = None  # the day of the last post


async def counts(db: Executor, ids: list[int]) -> dict[int, Counts]:
    """What an account's profile counts, for many accounts at once: the counters PostgreSQL keeps
    in account_stats (migration 0046; no row yet is all zeros)."""
    rows = await db.fetch(
        "SELECT i.id, coalesce(st.followers_count, 0) AS followers, coalesce(st.following_count, 0) AS following,"
        " coalesce(st.statuses_count, 0) AS posts, st.last_status_at::date AS last"
        " FROM unnest($1::bigint[]) AS i(id) LEFT JOIN account_stats st ON st.account_id = i.id",
        ids,
    )
    return {r["id"]: Counts(r["followers"], r["following"], r["posts"], r["last"]) for r in rows}


def _like_prefix(text: str) -> str:
    """Text matched literally at the start of a LIKE pattern (its wildcards escaped)."""
    return text.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_")


@dataclass(frozen=True)
class StaffView:
    """An account as the admin list shows it: the role, email and application of members here."""

    account: Account
    role: Role | None
    email: str | None
    application: str | None
    limited: bool
    two_factor: bool


ADMIN_STATUSES = ("active", "suspended", "limited", "sensitive", "pending")
_STAFF_VIEW = (f"SELECT {ACCOUNT_COLUMNS}, a.limited_at, u.role, u.email, u.application_state,"
               " u.otp_enabled_at IS NOT NULL AS two_factor FROM accounts a LEFT JOIN users u ON u.account_id = a.id")


def _staff_view(row: asyncpg.Record) -> StaffView:
    return StaffView(account_from_row(row), Role(row["role"]) if row["role"] else None, row["email"],
                     row["application_state"], row["limited_at"] is not None, bool(row["two_factor"]))


async def admin_page(db: Executor, page: Page, *, origin: str | None, role: str | None, status: str | None,
                     query: str) -> list[StaffView]:
    """Accounts newest first, filtered by origin ('local'/'remote'), role and moderation status, and
    by the start of a name, handle or domain."""
    name, _, domain = query.partition("@")
    rows = await db.fetch(
        f"{_STAFF_VIEW} WHERE a.username <> 'kith.instance' AND {page.where('a.id', 1)}"
        " AND ($5::text IS NULL OR (a.domain IS NULL) = ($5 = 'local'))"
        " AND ($6::text IS NULL OR u.role = $6)"
        " AND ($7::text IS NULL OR CASE $7 WHEN 'suspended' THEN a.suspended_at IS NOT NULL"
        "  WHEN 'limited' THEN a.limited_at IS NOT NULL WHEN 'sensitive' THEN a.sensitized_at IS NOT NULL"
        "  WHEN 'pending' THEN u.application_state = 'pending'"
        "  ELSE a.suspended_at IS NULL AND a.limited_at IS NULL END)"
        " AND ($8 = '' OR lower(a.username) LIKE lower($8) || '%' OR lower(a.display_name) LIKE lower($8) || '%'"
        "  OR ($9 = '' AND lower(a.domain) LIKE lower($8) || '%'))"
        " AND ($9 = '' OR lower(a.domain) LIKE lower($9) || '%')"
        f" ORDER BY {page.order('a.id')} LIMIT $4",
        *page.args, page.limit, origin, role, status, _like_prefix(name), _like_prefix(domain),
    )
    return page.newest_first([_staff_view(r) for r in rows])


async def staff_view(db: Executor, account_id: int) -> StaffView | None:
    row = await db.fetchrow(f"{_STAFF_VIEW} WHERE a.id = $1", account_id)
    return _staff_view(row) if row else None


async def search_accounts(db: Executor, query: str, limit: int, *, include_suspended: bool = False) -> list[Account]:
    """Accounts whose handle or display name starts with the query, local ones first."""
    name, _, domain = query.partition("@")
    rows = await db.fetch(
        f"SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.username <> 'kith.instance'"
        " AND ($4 OR a.suspended_at IS NULL)"
        " AND (lower(a.username) LIKE lower($1) || '%' OR lower(a.display_name) LIKE lower($1) || '%')"
        " AND ($2 = '' OR lower(a.domain) LIKE lower($2) || '%')"
        " ORDER BY a.domain IS NOT NULL, lower(a.username) LIMIT $3",
        _like_prefix(name), _like_prefix(domain), limit, include_suspended,
    )
    return [account_from_row(r) for r in rows]


async def accounts_by_ids(db: Executor, ids: list[int]) -> dict[int, Account]:
    rows = await db.fetch(f"SELECT {account_columns('a', '')} FROM accounts a WHERE a.id = ANY($1::bigint[])", ids)
    return {r["id"]: account_from_row(r) for r in rows}


async def blocked_or_muted(db: Executor, table: str, account_id: int, page: Page) -> list[Paged[Account]]:
    if table not in ("blocks", "mutes"):
        raise ValueError(table)
    rows = await db.fetch(
        f"SELECT r.id AS rel_id, {ACCOUNT_COLUMNS} FROM {table} r JOIN accounts a ON a.id = r.target_account_id"
        f" WHERE r.account_id = $1 AND {page.where('r.id', 2)} ORDER BY {page.order('r.id')} LIMIT $5",
        account_id, *page.args, page.limit,
    )
    return page.newest_first([Paged(r["rel_id"], account_from_row(r)) for r in rows])


async def mark_member_deleted(db: Executor, account_id: int) -> list[str]:
    """Empty a member's profile and end their login, keeping the row (and so the username); the
    storage keys of their avatar and header, to delete after commit."""
    row = await db.fetchrow(
        "WITH old AS (SELECT avatar_url, header_url FROM accounts WHERE id = $1)"
        " UPDATE accounts SET deleted_at = now(), suspended_at = coalesce(suspended_at, now()), display_name = '',"
        " note = '', fields = '[]', avatar_url = NULL, header_url = NULL, raw = NULL, emojis = '[]',"
        " discoverable = false, updated_at = now() FROM old WHERE id = $1 AND domain IS NULL"
        " RETURNING old.avatar_url, old.header_url", account_id)
    await db.execute("DELETE FROM users WHERE account_id = $1", account_id)
    return [url.removeprefix("/media/") for url in (row["avatar_url"], row["header_url"])
            if row and url and url.startswith("/media/")] if row else []


async def is_deleted(db: Executor, username: str) -> bool:
    return bool(await db.fetchval("SELECT 1 FROM accounts WHERE lower(username) = lower($1) AND domain IS NULL"
                                  " AND deleted_at IS NOT NULL", username))


async def set_emojis(db: Executor, account_id: int, emojis: list[dict[str, str]]) -> None:
    """The instance's own emoji a member's name, bio and fields use."""
    await db.execute("UPDATE accounts SET emojis = $2 WHERE id = $1 AND domain IS NULL", account_id, emojis)
