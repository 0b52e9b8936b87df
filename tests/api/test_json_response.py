"""The API's JSON encoder (orjson) gives the values json.dumps gives, and falls back to it."""

from __future__ import annotations

import json

from server.api.paging import json_response


def test_the_same_values_and_the_fallback():
    body = [{"id": "1", "content": "<p>é ✓ \u202e</p>", "n": 3, "f": 0.14499999582767487, "none": None,
             "list": [True, False], "meta": {"focus": {"x": -0.5}}}]
    resp = json_response(body)
    assert resp.content_type == "application/json" and resp.charset == "utf-8"
    assert json.loads(resp.body) == body
    big = {"n": 2 ** 70}  # beyond orjson's 64 bits: json.dumps encodes it
    assert json.loads(json_response(big).body) == big
