"""Our rows -> the JSON entities Mastodon documents (ids as strings, ISO 8601 times), named by
direction: account_to_api, status_to_api, relationship_to_api, media_to_api (the ActivityPub side
is federation/render.status_to_as and federation/parse.as_object_to_note).

Everything is loaded in batches: one query per kind of detail for a whole page of statuses.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import asyncpg

from server.models import Account, Status
from server.store import accounts as accounts_store
from server.store import cards as cards_store
from server.store import status_views
from server.store.relationships import Relationship
from server.urls import Urls, card_image_path


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _day(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT00:00:00.000Z")


def card_to_api(card: cards_store.Card, urls: Urls) -> dict[str, Any]:
    """A PreviewCard entity: a plain link card (never rich HTML), its image served by us."""
    return {"url": card.url, "title": card.title, "description": card.description, "type": "link",
            "author_name": "", "author_url": "", "provider_name": card.provider_name, "provider_url": "",
            "html": "", "width": 0, "height": 0, "embed_url": "", "blurhash": None, "language": None,
            "image": f"{urls.base}{card_image_path(card)}" if card.image_url else None, "image_description": ""}


def emojis_to_api(owner: Status | Account, urls: Urls) -> list[dict[str, Any]]:
    """CustomEmoji entities of another server's post or account, their images served by us."""
    return [{"shortcode": code, "url": urls.emoji(owner, code, url), "static_url": urls.emoji(owner, code, url),
             "visible_in_picker": False} for code, url in owner.emojis]


def report_to_api(item: dict[str, Any], account_json: dict[str, Any]) -> dict[str, Any]:
    """A Report entity (as a staff notification and the admin API carry it) from `reports_store.page`'s item."""
    return {"id": str(item["id"]), "action_taken": item["resolved_at"] is not None,
            "action_taken_at": iso(item["resolved_at"]), "category": item["category"], "comment": item["comment"],
            "forwarded": item["forwarded"], "created_at": iso(item["created_at"]),
            "updated_at": iso(item["resolved_at"] or item["created_at"]),
            "status_ids": [str(s) for s in item["status_ids"]] or None,
            "rule_ids": [str(r) for r in item["rule_ids"]] or None, "target_account": account_json}


async def accounts_to_api(pool: asyncpg.Pool, urls: Urls, items: list[Account],
                          counts: dict[int, accounts_store.Counts] | None = None) -> dict[int, dict[str, Any]]:
    """Account entities by id (their counters read here unless given)."""
    if counts is None:
        counts = await accounts_store.counts(pool, [a.id for a in items])
    out = {}
    for account in items:
        count = counts.get(account.id) or accounts_store.Counts()
        avatar, header = urls.profile_picture(account, "avatar"), urls.profile_picture(account, "header")
        out[account.id] = {
            "id": str(account.id),
            "username": account.username,
            "acct": account.handle(),
            "url": urls.account_url(account),
            "uri": urls.account_uri(account),
            "display_name": account.display_name,
            "note": account.note,
            "avatar": avatar, "avatar_static": avatar, "header": header, "header_static": header,
            "locked": account.locked,
            "fields": [{"name": n, "value": v, "verified_at": verified} for n, v, verified in account.fields],
            "emojis": emojis_to_api(account, urls) if account.emojis else [],
            "bot": account.actor_type in ("Service", "Application"),
            "group": account.actor_type == "Group",
            "discoverable": account.discoverable,
            "indexable": account.indexable,
            "noindex": False,
            "created_at": _day(account.created_at),
            "last_status_at": count.last_status_at.isoformat() if count.last_status_at else None,
            "statuses_count": count.posts,
            "followers_count": count.followers,
            "following_count": count.following,
        }
    return out


async def account_to_api(pool: asyncpg.Pool, urls: Urls, item: Account) -> dict[str, Any]:
    return (await accounts_to_api(pool, urls, [item]))[item.id]


def relationship_to_api(rel: Relationship) -> dict[str, Any]:
    return {
        "id": str(rel.account_id), "following": rel.following == "accepted",
        "showing_reblogs": rel.showing_reblogs, "notifying": rel.notifying,
        "languages": list(rel.languages) if rel.languages else None,
        "followed_by": rel.followed_by == "accepted", "blocking": rel.blocking, "blocked_by": rel.blocked_by,
        "muting": rel.muting, "muting_notifications": rel.muting_notifications,
        "requested": rel.following == "pending", "requested_by": rel.followed_by == "pending",
        "domain_blocking": rel.domain_blocking, "endorsed": rel.endorsed, "note": rel.note,
    }


def media_to_api(item: dict[str, Any], urls: Urls) -> dict[str, Any]:
    local = item["file_path"] is not None
    url = urls.media(item["file_path"]) if local else item["remote_url"]
    preview = urls.media(item["thumb_path"]) if local and item["thumb_path"] else url
    meta = dict(item["meta"] or {})
    meta["focus"] = {"x": round(item["focus_x"], 2), "y": round(item["focus_y"], 2)}
    return {
        "id": str(item["id"]), "type": item["kind"], "url": url, "preview_url": preview,
        "remote_url": None if local else item["remote_url"], "preview_remote_url": None, "text_url": None,
        "meta": meta, "description": item["description"] or None, "blurhash": item["blurhash"],
    }


def _poll(status: Status, details: status_views.StatusDetails) -> dict[str, Any] | None:
    if not status.poll:
        return None
    options = status.poll.get("options", [])
    votes = [o.get("votes", 0) for o in options]  # local votes are counted in, as on Mastodon
    closed = status.poll.get("closed_at")
    expires = datetime.fromisoformat(closed) if closed else None
    return {
        "id": str(status.id), "expires_at": iso(expires),
        "expired": bool(expires and expires <= datetime.now(UTC)),
        "multiple": bool(status.poll.get("multiple")), "votes_count": sum(votes),
        "voters_count": status.poll.get("voters_count"),
        "options": [{"title": o.get("title", ""), "votes_count": v} for o, v in zip(options, votes, strict=True)],
        "emojis": [], "voted": bool(details.own_votes), "own_votes": details.own_votes,
    }


async def statuses_to_api(pool: asyncpg.Pool, urls: Urls, items: list[Status],
                          viewer_id: int | None) -> list[dict[str, Any]]:
    """Status entities in the same order, boosts with their `reblog` filled in: one query for the
    whole page (status_views), whatever its size."""
    shown = {s.id: s for s in items}
    for s in items:
        if s.reblog:
            shown[s.reblog.id] = s.reblog
    details = await status_views.status_details(pool, list(shown), viewer_id)
    authors = {s.author.id: s.author for s in shown.values()}
    account_json = await accounts_to_api(pool, urls, list(authors.values()),
                                         {s.author.id: details[i].author_counts for i, s in shown.items()})
    signed_in = viewer_id is not None

    def one(s: Status) -> dict[str, Any]:
        d = details[s.id]
        author = s.author
        own = signed_in and viewer_id == author.id
        return {
            "id": str(s.id),
            "uri": urls.status_id_uri(s),
            "url": urls.status_url(s) if s.reblog_of_id is None else None,
            "created_at": iso(s.created_at),
            "edited_at": iso(s.edited_at),
            "account": account_json[author.id],
            "content": s.content,
            "text": d.source_text if own and author.is_local else None,
            "visibility": s.visibility.value,
            "sensitive": s.sensitive or author.sensitized_at is not None,
            "spoiler_text": s.spoiler_text,
            "language": d.language,
            "in_reply_to_id": str(s.in_reply_to_id) if s.in_reply_to_id else None,
            "in_reply_to_account_id": str(d.reply_account_id) if d.reply_account_id else None,
            "replies_count": d.replies,
            "reblogs_count": d.boosts,
            "favourites_count": d.favourites,
            "favourited": d.favourited if signed_in else None,
            "reblogged": d.boosted if signed_in else None,
            "bookmarked": d.bookmarked if signed_in else None,
            "pinned": d.pinned if own else None,
            "muted": d.muted if signed_in else None,
            "mentions": [{"id": str(m.id), "username": m.username, "acct": m.handle(), "url": urls.account_url(m)}
                         for m in d.mentions],
            "tags": [{"name": t.lower(), "url": urls.tag(t)} for t in d.tags],
            "emojis": emojis_to_api(s, urls) if s.emojis else [],
            "media_attachments": [media_to_api(m, urls) for m in d.media],
            "poll": _poll(s, d),
            "card": card_to_api(d.card, urls) if d.card else None,
            "application": {"name": d.app_name, "website": d.app_website} if d.app_name else None,
            "filtered": [],
            "reblog": None,
        }

    out = []
    for s in items:
        if s.reblog:
            entity = one(s)
            entity["reblog"] = one(s.reblog)
            entity.update({k: entity["reblog"][k] for k in ("favourited", "reblogged", "bookmarked")})
            out.append(entity)
        else:
            out.append(one(s))
    return out


async def status_to_api(pool: asyncpg.Pool, urls: Urls, item: Status, viewer_id: int | None) -> dict[str, Any]:
    return (await statuses_to_api(pool, urls, [item], viewer_id))[0]
