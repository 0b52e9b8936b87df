"""Request parameters as Mastodon clients send them: query string, form, multipart or JSON.

Arrays arrive as `media_ids[]=1&media_ids[]=2` (forms) or JSON lists; nested values as
`poll[options][]=a` (forms) or JSON objects. `Params` reads all of these the same way and turns
bad values into 422 errors naming the parameter.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web
from multidict import MultiDict, MultiDictProxy

from server.errors import AppError

TRUE = {"true", "1", "on", "yes"}
FALSE = {"false", "0", "off", "no", ""}


def invalid(message: str) -> AppError:
    return AppError(422, message)


class Params:
    def __init__(self, data: dict[str, Any] | MultiDict | MultiDictProxy, prefix: str = "") -> None:
        self.data = data
        self.prefix = prefix

    def _key(self, name: str) -> str:
        return f"{self.prefix}[{name}]" if self.prefix else name

    def raw(self, name: str) -> Any:
        if isinstance(self.data, dict):
            return self.data.get(name)
        key = self._key(name)
        if key in self.data:
            return self.data.get(key)
        return None

    def has(self, name: str) -> bool:
        if isinstance(self.data, dict):
            return name in self.data
        return self._key(name) in self.data or f"{self._key(name)}[]" in self.data

    def str(self, name: str, default: str | None = None, *, max_len: int = 100_000) -> str | None:
        value = self.raw(name)
        if value is None:
            return default
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise invalid(f"{name} must be a string")
        if len(value) > max_len:
            raise invalid(f"{name} is too long")
        return value

    def bool(self, name: str, default: bool = False) -> bool:
        value = self.raw(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in TRUE:
            return True
        if isinstance(value, str) and value.lower() in FALSE:
            return False
        raise invalid(f"{name} must be true or false")

    def int(self, name: str, default: int | None = None, *, minimum: int | None = None,
            maximum: int | None = None) -> int | None:
        value = self.raw(name)
        if value is None or value == "":
            return default
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise invalid(f"{name} must be a whole number") from None
        if minimum is not None and number < minimum or maximum is not None and number > maximum:
            raise invalid(f"{name} is out of range")
        return number

    def list(self, name: str, *, max_items: int = 100) -> list[str]:
        """`name[]` repeated (forms) or a JSON list; a single value counts as a one-item list."""
        if isinstance(self.data, dict):
            value = self.data.get(name, self.data.get(f"{name}[]"))
            if value is None:
                return []
            items = value if isinstance(value, list) else [value]
        else:
            items = list(self.data.getall(f"{self._key(name)}[]", [])) or list(self.data.getall(self._key(name), []))
        if len(items) > max_items:
            raise invalid(f"{name} has too many items")
        out = []
        for item in items:
            if isinstance(item, (int, float)) and not isinstance(item, bool):
                item = str(item)
            if not isinstance(item, str):
                raise invalid(f"{name} must be a list of strings")
            out.append(item)
        return out

    def nested(self, name: str) -> Params | None:
        """The object under `name` (JSON object, or `name[key]` form fields), or None if absent."""
        if isinstance(self.data, dict):
            value = self.data.get(name)
            if value is None:
                return None
            if not isinstance(value, dict):
                raise invalid(f"{name} must be an object")
            return Params(value)
        key = self._key(name)
        if any(k.startswith(f"{key}[") for k in self.data.keys()):
            return Params(self.data, key)
        return None


async def read(request: web.Request) -> Params:
    """Query parameters merged with the body (JSON or form); the body wins."""
    merged: MultiDict = MultiDict(request.query)
    if request.body_exists:
        if request.content_type == "application/json":
            try:
                body = json.loads(await request.read() or b"{}")
            except ValueError:
                raise AppError(400, "the body is not valid JSON") from None
            if not isinstance(body, dict):
                raise AppError(400, "the JSON body must be an object")
            return Params({**{k: v for k, v in request.query.items()}, **body})
        form = await request.post()
        for key in set(form.keys()):
            merged.popall(key, None)
            for value in form.getall(key):
                merged.add(key, value)
    return Params(merged)
