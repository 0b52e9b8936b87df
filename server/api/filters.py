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
from server.store.filters import Filter, Keyword

routes = web.RouteTableDef()
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

def _context(p: params.Params, current: list[str] | None) -> list[str]:
    if not p.has("context") and current is not None:
        return current
    return p.list("context", max_items=20)


def _expires_at(p: params.Params, current: datetime | None) -> datetime | None:
    """expires_in seconds from now; given empty (or null) it clears the expiry; absent it keeps it."""
    if not p.has("expires_in"):
        return current
    seconds = p.int("expires_in", None, minimum=1, maximum=MAX_EXPIRES_IN)
    return datetime.now(UTC) + timedelta(seconds=seconds) if seconds else None


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
    if len(items) > filtering.MAX_KEYWORDS:
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
    p = await params.read(request)
    words = []
    for item in await _keyword_attributes(request, p):
        if _keyword_id(item) is not None:  # Mastodon: an id names a keyword that cannot exist yet
            raise AppError(404, NOT_FOUND)
        if not item.bool("_destroy"):
            words.append((item.str("keyword", max_len=100_000), item.bool("whole_word", True)))
    made = await filtering.create(request.app[POOL], current_user(request).id, p.str("title", max_len=100_000),
                                  _context(p, None), p.str("filter_action", "warn", max_len=20),
                                  _expires_at(p, None), words)
    return web.json_response(filter_to_api(made))


@routes.put(r"/api/v2/filters/{id:\d+}")
@api("write:filters")
async def update(request: web.Request) -> web.Response:
    """Changes what is given; keywords_attributes items with an id change (or, with _destroy, remove)
    that keyword of this filter, items without one add a keyword."""
    current = await _own_filter(request)
    p = await params.read(request)
    known = {k.id: k for k in current.keywords}
    changes = []
    for item in await _keyword_attributes(request, p):
        keyword_id = _keyword_id(item)
        old = known.get(keyword_id) if keyword_id is not None else None
        changes.append(filtering.KeywordChange(
            keyword_id, item.str("keyword", old.keyword if old else None, max_len=100_000),
            item.bool("whole_word", old.whole_word if old else True), item.bool("_destroy")))
    made = await filtering.update(
        request.app[POOL], current_user(request).id, current, p.str("title", current.title, max_len=100_000),
        _context(p, current.context), p.str("filter_action", current.action, max_len=20),
        _expires_at(p, current.expires_at), changes)
    return web.json_response(filter_to_api(made))


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
    made = await filtering.add_keyword(request.app[POOL], found, p.str("keyword", max_len=100_000),
                                       p.bool("whole_word", True))
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
    made = await filtering.change_keyword(request.app[POOL], current,
                                          p.str("keyword", current.keyword, max_len=100_000),
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
    p = await params.read(request)
    phrase = filtering.check_title(p.str("phrase", max_len=100_000), "Phrase")
    made = await filtering.create(request.app[POOL], current_user(request).id, phrase, _context(p, None),
                                  "hide" if p.bool("irreversible") else "warn", _expires_at(p, None),
                                  [(phrase, p.bool("whole_word", True))])
    return web.json_response(v1_to_api(made, made.keywords[0]))


@routes.put(r"/api/v1/filters/{id:\d+}")
@api("write:filters")
async def v1_update(request: web.Request) -> web.Response:
    """The phrase and whole_word always change; context, irreversible and expiry only while the
    filter holds this one keyword (Mastodon 4 refuses them otherwise)."""
    user = current_user(request)
    found, word = await _v1_pair(request)
    p = await params.read(request)
    action = ("hide" if p.bool("irreversible") else "warn") if p.has("irreversible") else found.action
    word = await filtering.change_phrase(
        request.app[POOL], found, word, p.str("phrase", word.keyword, max_len=100_000),
        p.bool("whole_word", word.whole_word), _context(p, found.context), action,
        _expires_at(p, found.expires_at))
    return web.json_response(v1_to_api(await filters_store.get(request.app[POOL], user.id, found.id), word))


@routes.delete(r"/api/v1/filters/{id:\d+}")
@api("write:filters")
async def v1_delete(request: web.Request) -> web.Response:
    """Removes the keyword from its filter (as Mastodon 4); the filter group stays."""
    _, word = await _v1_pair(request)
    await filters_store.delete_keywords(request.app[POOL], word.filter_id, [word.id])
    return web.json_response({})
