"""/api/v2/filters (filter groups with keywords, matched on the server) and v1's one-phrase view of them.

`apply_filters` is what the timelines call: it drops statuses a 'hide' filter matches and marks
the ones a 'warn' filter matches with `filtered` (Mastodon's FilterResult), so clients can fold
them behind the filter's title.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from aiohttp import web
from multidict import MultiDict, MultiDictProxy

from server.api import entities, params
from server.api.auth import api, current_user
from server.api.common import NOT_FOUND, path_id
from server.domain import filtering
from server.errors import AppError
from server.keys import POOL
from server.store import filters as filters_store
from server.store.filters import CONTEXTS, Filter, Keyword

routes = web.RouteTableDef()
MAX_TITLE = 256
MAX_KEYWORD = 200
MAX_KEYWORDS_PER_REQUEST = 100
MAX_EXPIRES_IN = 10 * 365 * 86400
_ATTRIBUTE_KEY = re.compile(r"^keywords_attributes\[(\d*)\]\[(\w+)\]$")


# --- entities ---------------------------------------------------------------------------------

def keyword_to_api(item: Keyword) -> dict[str, Any]:
    return {"id": str(item.id), "keyword": item.keyword, "whole_word": item.whole_word}


def filter_to_api(item: Filter) -> dict[str, Any]:
    return {"id": str(item.id), "title": item.title, "context": item.context,
            "expires_at": entities.iso(item.expires_at), "filter_action": item.action,
            "keywords": [keyword_to_api(k) for k in item.keywords], "statuses": []}


def v1_to_api(item: Filter, word: Keyword) -> dict[str, Any]:
    """Mastodon 4's v1 shape: one V1::Filter per keyword, its id the keyword's."""
    return {"id": str(word.id), "phrase": word.keyword, "context": item.context, "whole_word": word.whole_word,
            "expires_at": entities.iso(item.expires_at), "irreversible": item.action == "hide"}


# --- matching (the engine is server.domain.filtering, shared with the web pages) ---------------

def match_filters(active: list[Filter], status: dict[str, Any]) -> tuple[bool, list[dict[str, Any]]]:
    """(hidden, FilterResults) of one status entity against the filters."""
    hidden, found = filtering.match(active, status)
    return hidden, [{"filter": filter_to_api(item), "keyword_matches": words, "status_matches": None}
                    for item, words in found]


async def apply_filters(pool: asyncpg.Pool, viewer_id: int | None, context: str,
                        statuses_json: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Status entities with those a 'hide' filter of the viewer matches in `context` left out, and
    `filtered` set on those a 'warn' filter matches (on a boost and its `reblog` alike). Expired
    filters do nothing; the viewer's own posts are never filtered. The input is not modified."""
    if viewer_id is None or not statuses_json:
        return statuses_json
    active = await filtering.active(pool, viewer_id, context)
    if not active:
        return statuses_json
    own = str(viewer_id)
    out = []
    for status in statuses_json:
        proper = status.get("reblog") or status
        if proper["account"]["id"] == own:
            out.append(status)
            continue
        hidden, results = match_filters(active, proper)
        if hidden:
            continue
        if results:
            status = {**status, "filtered": results}
            if status.get("reblog"):
                status["reblog"] = {**status["reblog"], "filtered": results}
        out.append(status)
    return out


async def apply_filters_to_notifications(pool: asyncpg.Pool, viewer_id: int,
                                         notifications: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Notification entities through the 'notifications' filters: those whose status a 'hide' filter
    matches are left out, the others carry their status as apply_filters leaves it."""
    with_status = [n["status"] for n in notifications if n.get("status")]
    kept = {s["id"]: s for s in await apply_filters(pool, viewer_id, "notifications", with_status)}
    out = []
    for n in notifications:
        if not n.get("status"):
            out.append(n)
        elif n["status"]["id"] in kept:
            out.append({**n, "status": kept[n["status"]["id"]]})
    return out


# --- request parameters -----------------------------------------------------------------------

def _title(p: params.Params, name: str, current: str | None) -> str:
    title = p.str(name, current, max_len=100_000)
    label = name.capitalize()
    if title is None or not title.strip():
        raise AppError(422, f"Validation failed: {label} can't be blank")
    if len(title) > MAX_TITLE:
        raise AppError(422, f"Validation failed: {label} is too long (maximum is {MAX_TITLE} characters)")
    return title.strip()


def _context(p: params.Params, current: list[str] | None) -> list[str]:
    if not p.has("context") and current is not None:
        return current
    given = p.list("context", max_items=20)
    if not given:
        raise AppError(422, "Validation failed: Context can't be blank")
    for item in given:
        if item not in CONTEXTS:
            raise AppError(422, f"Validation failed: Context {item[:50]!r} is not a valid context"
                                f" (use {', '.join(CONTEXTS)})")
    return list(dict.fromkeys(given))


def _action(p: params.Params, current: str) -> str:
    action = p.str("filter_action", current, max_len=20)
    if action not in filters_store.ACTIONS:
        raise AppError(422, "Validation failed: Filter action must be warn or hide")
    return action


def _expires_at(p: params.Params, current: datetime | None) -> datetime | None:
    """expires_in seconds from now; given empty (or null) it clears the expiry; absent it keeps it."""
    if not p.has("expires_in"):
        return current
    seconds = p.int("expires_in", None, minimum=1, maximum=MAX_EXPIRES_IN)
    return datetime.now(UTC) + timedelta(seconds=seconds) if seconds else None


def _keyword_text(value: str | None) -> str:
    if value is None or not value.strip():
        raise AppError(422, "Validation failed: Keyword can't be blank")
    if len(value) > MAX_KEYWORD:
        raise AppError(422, f"Validation failed: Keyword is too long (maximum is {MAX_KEYWORD} characters)")
    return value.strip()


async def _keyword_attributes(request: web.Request, p: params.Params) -> list[params.Params]:
    """keywords_attributes as a JSON list (or Rails' index-keyed object), or as form or query fields
    `keywords_attributes[][keyword]` (a repeated name starts the next item, so the fields' order
    matters: they are read from the body or query as sent) or `keywords_attributes[0][keyword]`."""
    if isinstance(p.data, dict):
        value = p.data.get("keywords_attributes")
        if value is None:
            return []
        if isinstance(value, dict):
            value = [value[k] for k in sorted(value, key=lambda k: (len(str(k)), str(k)))]
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise AppError(422, "Validation failed: keywords_attributes must be a list of objects")
        items = value
    else:
        items = []
        indexed: dict[str, dict[str, str]] = {}
        current: dict[str, str] | None = None
        form = await request.post() if request.body_exists else MultiDict()
        data: MultiDict | MultiDictProxy = form if any(_ATTRIBUTE_KEY.match(k) for k in form) else request.query
        for key, value in data.items():
            match = _ATTRIBUTE_KEY.match(key)
            if not match or not isinstance(value, str):
                continue
            index, name = match.groups()
            if index:
                if index not in indexed:
                    indexed[index] = {}
                    items.append(indexed[index])
                indexed[index][name] = value
            else:  # Rails: `[][name]` fills the last item until `name` comes round again
                if current is None or name in current:
                    current = {}
                    items.append(current)
                current[name] = value
    if len(items) > MAX_KEYWORDS_PER_REQUEST:
        raise AppError(422, "Validation failed: keywords_attributes has too many items")
    return [params.Params(i) for i in items]


def _keyword_id(item: params.Params) -> int | None:
    raw = item.str("id", max_len=40)
    if raw in (None, ""):
        return None
    if not raw.isdigit() or len(raw) > 19:
        raise AppError(404, NOT_FOUND)
    return int(raw)


async def _own_filter(request: web.Request, name: str = "id") -> Filter:
    found = await filters_store.get(request.app[POOL], current_user(request).id, path_id(request, name))
    if found is None:
        raise AppError(404, NOT_FOUND)
    return found


async def _own_keyword(request: web.Request) -> Keyword:
    found = await filters_store.keyword(request.app[POOL], current_user(request).id, path_id(request))
    if found is None:
        raise AppError(404, NOT_FOUND)
    return found


# --- v2 filters -------------------------------------------------------------------------------

@routes.get("/api/v2/filters")
@api("read:filters")
async def index(request: web.Request) -> web.Response:
    items = await filters_store.owned(request.app[POOL], current_user(request).id)
    return web.json_response([filter_to_api(f) for f in items])


@routes.get(r"/api/v2/filters/{id:\d+}")
@api("read:filters")
async def show(request: web.Request) -> web.Response:
    return web.json_response(filter_to_api(await _own_filter(request)))


@routes.post("/api/v2/filters")
@api("write:filters")
async def create(request: web.Request) -> web.Response:
    user = current_user(request)
    p = await params.read(request)
    title, context = _title(p, "title", None), _context(p, None)
    action, expires_at = _action(p, "warn"), _expires_at(p, None)
    words = []
    for item in await _keyword_attributes(request, p):
        if _keyword_id(item) is not None:  # Mastodon: an id names a keyword that cannot exist yet
            raise AppError(404, NOT_FOUND)
        if item.bool("_destroy"):
            continue
        words.append((_keyword_text(item.str("keyword", max_len=100_000)), item.bool("whole_word", True)))
    pool = request.app[POOL]
    async with pool.acquire() as conn, conn.transaction():
        filter_id = await filters_store.insert(conn, user.id, title, context, action, expires_at)
        for word, whole in words:
            await filters_store.insert_keyword(conn, filter_id, word, whole)
    return web.json_response(filter_to_api(await filters_store.get(pool, user.id, filter_id)))


@routes.put(r"/api/v2/filters/{id:\d+}")
@api("write:filters")
async def update(request: web.Request) -> web.Response:
    """Changes what is given; keywords_attributes items with an id change (or, with _destroy, remove)
    that keyword of this filter, items without one add a keyword."""
    user = current_user(request)
    current = await _own_filter(request)
    p = await params.read(request)
    title, context = _title(p, "title", current.title), _context(p, current.context)
    action, expires_at = _action(p, current.action), _expires_at(p, current.expires_at)
    known = {k.id: k for k in current.keywords}
    removed, changed, added = [], [], []
    for item in await _keyword_attributes(request, p):
        keyword_id = _keyword_id(item)
        if keyword_id is not None and keyword_id not in known:
            raise AppError(404, NOT_FOUND)
        if item.bool("_destroy"):
            if keyword_id is not None:
                removed.append(keyword_id)
            continue
        if keyword_id is None:
            added.append((_keyword_text(item.str("keyword", max_len=100_000)), item.bool("whole_word", True)))
        else:
            old = known[keyword_id]
            changed.append((keyword_id, _keyword_text(item.str("keyword", old.keyword, max_len=100_000)),
                            item.bool("whole_word", old.whole_word)))
    pool = request.app[POOL]
    async with pool.acquire() as conn, conn.transaction():
        await filters_store.update(conn, current.id, title, context, action, expires_at)
        await filters_store.delete_keywords(conn, current.id, removed)
        for keyword_id, word, whole in changed:
            await filters_store.update_keyword(conn, keyword_id, word, whole)
        for word, whole in added:
            await filters_store.insert_keyword(conn, current.id, word, whole)
    return web.json_response(filter_to_api(await filters_store.get(pool, user.id, current.id)))


@routes.delete(r"/api/v2/filters/{id:\d+}")
@api("write:filters")
async def delete(request: web.Request) -> web.Response:
    if not await filters_store.delete(request.app[POOL], current_user(request).id, path_id(request)):
        raise AppError(404, NOT_FOUND)
    return web.json_response({})


# --- v2 keywords ------------------------------------------------------------------------------

@routes.get(r"/api/v2/filters/{id:\d+}/keywords")
@api("read:filters")
async def keywords(request: web.Request) -> web.Response:
    return web.json_response([keyword_to_api(k) for k in (await _own_filter(request)).keywords])


@routes.post(r"/api/v2/filters/{id:\d+}/keywords")
@api("write:filters")
async def add_keyword(request: web.Request) -> web.Response:
    found = await _own_filter(request)
    p = await params.read(request)
    word = _keyword_text(p.str("keyword", max_len=100_000))
    made = await filters_store.insert_keyword(request.app[POOL], found.id, word, p.bool("whole_word", True))
    return web.json_response(keyword_to_api(made))


@routes.get(r"/api/v2/filters/{id:\d+}/statuses")
@api("read:filters")
async def filter_statuses(request: web.Request) -> web.Response:
    """Kith filters by keyword only; a filter holds no statuses."""
    await _own_filter(request)
    return web.json_response([])


# Mastodon's path is /api/v2/filters/keywords/:id; /api/v2/filter_keywords/:id is kept as an alias.
@routes.get(r"/api/v2/filters/keywords/{id:\d+}")
@routes.get(r"/api/v2/filter_keywords/{id:\d+}")
@api("read:filters")
async def show_keyword(request: web.Request) -> web.Response:
    return web.json_response(keyword_to_api(await _own_keyword(request)))


@routes.put(r"/api/v2/filters/keywords/{id:\d+}")
@routes.put(r"/api/v2/filter_keywords/{id:\d+}")
@api("write:filters")
async def update_keyword(request: web.Request) -> web.Response:
    current = await _own_keyword(request)
    p = await params.read(request)
    word = _keyword_text(p.str("keyword", current.keyword, max_len=100_000))
    made = await filters_store.update_keyword(request.app[POOL], current.id, word,
                                              p.bool("whole_word", current.whole_word))
    return web.json_response(keyword_to_api(made))


@routes.delete(r"/api/v2/filters/keywords/{id:\d+}")
@routes.delete(r"/api/v2/filter_keywords/{id:\d+}")
@api("write:filters")
async def delete_keyword(request: web.Request) -> web.Response:
    current = await _own_keyword(request)
    await filters_store.delete_keywords(request.app[POOL], current.filter_id, [current.id])
    return web.json_response({})


# --- v1 (one phrase per filter), for older clients ----------------------------------------------

@routes.get("/api/v1/filters")
@api("read:filters")
async def v1_index(request: web.Request) -> web.Response:
    items = await filters_store.owned(request.app[POOL], current_user(request).id)
    return web.json_response([v1_to_api(f, k) for f in items for k in f.keywords])


async def _v1_pair(request: web.Request) -> tuple[Filter, Keyword]:
    word = await _own_keyword(request)
    found = await filters_store.get(request.app[POOL], current_user(request).id, word.filter_id)
    if found is None:
        raise AppError(404, NOT_FOUND)
    return found, word


@routes.get(r"/api/v1/filters/{id:\d+}")
@api("read:filters")
async def v1_show(request: web.Request) -> web.Response:
    return web.json_response(v1_to_api(*await _v1_pair(request)))


@routes.post("/api/v1/filters")
@api("write:filters")
async def v1_create(request: web.Request) -> web.Response:
    """A filter titled by its phrase, holding that one keyword (as Mastodon 4 does)."""
    user = current_user(request)
    p = await params.read(request)
    phrase = _title(p, "phrase", None)
    _keyword_text(phrase)
    context, expires_at = _context(p, None), _expires_at(p, None)
    action = "hide" if p.bool("irreversible") else "warn"
    pool = request.app[POOL]
    async with pool.acquire() as conn, conn.transaction():
        filter_id = await filters_store.insert(conn, user.id, phrase, context, action, expires_at)
        word = await filters_store.insert_keyword(conn, filter_id, phrase, p.bool("whole_word", True))
    return web.json_response(v1_to_api(await filters_store.get(pool, user.id, filter_id), word))


@routes.put(r"/api/v1/filters/{id:\d+}")
@api("write:filters")
async def v1_update(request: web.Request) -> web.Response:
    """The phrase and whole_word always change; context, irreversible and expiry only while the
    filter holds this one keyword (Mastodon 4 refuses them otherwise)."""
    user = current_user(request)
    found, word = await _v1_pair(request)
    p = await params.read(request)
    phrase = _keyword_text(p.str("phrase", word.keyword, max_len=100_000))
    context, expires_at = _context(p, found.context), _expires_at(p, found.expires_at)
    action = ("hide" if p.bool("irreversible") else "warn") if p.has("irreversible") else found.action
    shared = len(found.keywords) > 1
    if shared and (set(context) != set(found.context) or action != found.action or expires_at != found.expires_at):
        raise AppError(422, "Validation failed: this filter has several keywords; change its context,"
                            " action or expiry through /api/v2/filters")
    pool = request.app[POOL]
    async with pool.acquire() as conn, conn.transaction():
        if not shared:
            await filters_store.update(conn, found.id, found.title, context, action, expires_at)
        word = await filters_store.update_keyword(conn, word.id, phrase, p.bool("whole_word", word.whole_word))
    return web.json_response(v1_to_api(await filters_store.get(pool, user.id, found.id), word))


@routes.delete(r"/api/v1/filters/{id:\d+}")
@api("write:filters")
async def v1_delete(request: web.Request) -> web.Response:
    """Removes the keyword from its filter (as Mastodon 4); the filter group stays."""
    _, word = await _v1_pair(request)
    await filters_store.delete_keywords(request.app[POOL], word.filter_id, [word.id])
    return web.json_response({})
