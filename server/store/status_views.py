"""What the client API shows beside each status of a page, read in one statement for the whole page."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from server.store.accounts import Counts, Executor
from server.store.cards import CARD_COLUMNS, Card
from server.store.statuses import visible_to


class Mention(NamedTuple):
    """A mentioned account, with what a status entity's `mentions` shows of it."""

    id: int
    username: str
    domain: str | None
    uri: str | None
    url: str | None

    def handle(self) -> str:
        return self.username if self.domain is None else f"{self.username}@{self.domain}"


@dataclass
class StatusDetails:
    language: str | None = None
    source_text: str = ""
    reply_account_id: int | None = None
    app_name: str | None = None
    app_website: str | None = None
    bookmarked: bool = False
    pinned: bool = False
    mentions: list[Mention] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    media: list[dict[str, Any]] = field(default_factory=list)
    own_votes: list[int] = field(default_factory=list)
    replies: int = 0  # those the viewer may see
    boosts: int = 0
    favourites: int = 0
    favourited: bool = False
    boosted: bool = False
    muted: bool = False  # in a thread the viewer muted
    card: Card | None = None
    author_counts: Counts = field(default_factory=Counts)


# One row per status id. Each kind of detail is a subquery of its own (arrays and jsonb lists for
# the many-valued ones), so the page costs one round trip instead of one per kind (it was ten: the
# statuses' own columns, mentions, tags, media, poll votes, counts and marks, author counters,
# cards, muted threads). The outer status is `x`: visible_to names the replies it counts `s`.
_DETAILS = (
    "SELECT x.id, x.language, x.source_text, p.account_id AS reply_account, ap.name AS app, ap.website,"
    " EXISTS (SELECT 1 FROM bookmarks b WHERE b.status_id = x.id AND b.account_id = $2) AS bookmarked,"
    " EXISTS (SELECT 1 FROM pins pn WHERE pn.status_id = x.id AND pn.account_id = $2) AS pinned,"
    " (SELECT jsonb_agg(jsonb_build_object('id', ma.id, 'username', ma.username, 'domain', ma.domain,"
    "   'uri', ma.uri, 'url', ma.url) ORDER BY ma.id)"
    "  FROM mentions m JOIN accounts ma ON ma.id = m.account_id WHERE m.status_id = x.id) AS mentions,"
    " ARRAY(SELECT t.name FROM status_tags st JOIN tags t ON t.id = st.tag_id WHERE st.status_id = x.id"
    "  ORDER BY t.name) AS tags,"
    # focus as float8, so that it reads back as the same double asyncpg decodes a real column to
    " (SELECT jsonb_agg(jsonb_build_object('id', md.id, 'status_id', md.status_id, 'kind', md.kind,"
    "   'file_path', md.file_path, 'thumb_path', md.thumb_path, 'remote_url', md.remote_url,"
    "   'mime_type', md.mime_type, 'description', md.description, 'blurhash', md.blurhash, 'meta', md.meta,"
    "   'focus_x', md.focus_x::float8, 'focus_y', md.focus_y::float8) ORDER BY md.id)"
    "  FROM media_attachments md WHERE md.status_id = x.id) AS media,"
    " ARRAY(SELECT v.choice FROM poll_votes v WHERE v.status_id = x.id AND v.account_id = $2"
    "  ORDER BY v.choice) AS own_votes,"
    # Only the replies this viewer may see: a visitor counts public and unlisted ones, as on Mastodon.
    f" (SELECT count(*) FROM statuses s WHERE s.in_reply_to_id = x.id AND {visible_to('$2')}) AS replies,"
    " (SELECT count(*) FROM statuses bs WHERE bs.reblog_of_id = x.id AND bs.deleted_at IS NULL) AS boosts,"
    " (SELECT count(*) FROM favourites f WHERE f.status_id = x.id) AS favourites,"
    " EXISTS (SELECT 1 FROM favourites f WHERE f.status_id = x.id AND f.account_id = $2) AS favourited,"
    " EXISTS (SELECT 1 FROM statuses bs WHERE bs.reblog_of_id = x.id AND bs.account_id = $2"
    "  AND bs.deleted_at IS NULL) AS boosted,"
    # Walk up the thread only for a viewer who muted some thread.
    " (EXISTS (SELECT 1 FROM status_mutes sm WHERE sm.account_id = $2) AND EXISTS ("
    "  WITH RECURSIVE up(id, parent, depth) AS (SELECT x.id, x.in_reply_to_id, 0"
    "   UNION ALL SELECT u.id, u.in_reply_to_id, up.depth + 1 FROM up JOIN statuses u ON u.id = up.parent"
    "   WHERE up.depth < 100)"
    "  SELECT 1 FROM up JOIN status_mutes sm ON sm.root_id = up.id AND sm.account_id = $2)) AS muted,"
    f" {', '.join(f'c.{c} AS card_{c}' for c in CARD_COLUMNS)},"
    " coalesce(ast.followers_count, 0) AS author_followers, coalesce(ast.following_count, 0) AS author_following,"
    " coalesce(ast.statuses_count, 0) AS author_posts, ast.last_status_at::date AS author_last"
    " FROM statuses x LEFT JOIN statuses p ON p.id = x.in_reply_to_id"
    " LEFT JOIN oauth_apps ap ON ap.id = x.application_id"
    " LEFT JOIN preview_cards c ON c.id = x.card_id"
    " LEFT JOIN account_stats ast ON ast.account_id = x.account_id"
    " WHERE x.id = ANY($1::bigint[])"
)


async def status_details(db: Executor, ids: list[int], viewer_id: int | None) -> dict[int, StatusDetails]:
    """Everything a status entity shows beyond the status row, for each of `ids` (a visitor when
    `viewer_id` is None: no marks, and the replies counted are the public and unlisted ones)."""
    out = {i: StatusDetails() for i in ids}
    for r in await db.fetch(_DETAILS, ids, viewer_id):
        out[r["id"]] = StatusDetails(
            language=r["language"], source_text=r["source_text"], reply_account_id=r["reply_account"],
            app_name=r["app"], app_website=r["website"], bookmarked=r["bookmarked"], pinned=r["pinned"],
            mentions=[Mention(m["id"], m["username"], m["domain"], m["uri"], m["url"]) for m in r["mentions"] or ()],
            tags=r["tags"], media=r["media"] or [], own_votes=r["own_votes"],
            replies=r["replies"], boosts=r["boosts"], favourites=r["favourites"], favourited=r["favourited"],
            boosted=r["boosted"], muted=bool(r["muted"]),
            card=Card(*(r[f"card_{c}"] for c in CARD_COLUMNS)) if r["card_id"] is not None else None,
            author_counts=Counts(r["author_followers"], r["author_following"], r["author_posts"], r["author_last"]),
        )
    return out
