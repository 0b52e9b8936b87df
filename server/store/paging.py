"""Keyset pagination by id, as Mastodon pages: max_id (older than), since_id (newer than, newest
first) and min_id (newer than, oldest first: the page right after min_id)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, NamedTuple, TypeVar

T = TypeVar("T")


class Paged(NamedTuple, Generic[T]):
    """An item of a page ordered by another row's id (the follow, block or bookmark): the cursor."""

    cursor: int
    item: T


@dataclass(frozen=True)
class Page:
    max_id: int | None = None
    since_id: int | None = None
    min_id: int | None = None
    limit: int = 20

    def where(self, column: str, first: int) -> str:
        """SQL bounds on `column`, using parameters $first..$first+2 (pass `args`)."""
        a, b, c = first, first + 1, first + 2
        return (f"(${a}::bigint IS NULL OR {column} < ${a}) AND (${b}::bigint IS NULL OR {column} > ${b})"
                f" AND (${c}::bigint IS NULL OR {column} > ${c})")

    @property
    def args(self) -> tuple[int | None, int | None, int | None]:
        return self.max_id, self.since_id, self.min_id

    def order(self, column: str) -> str:
        return f"{column} {'ASC' if self.min_id is not None else 'DESC'}"

    def newest_first(self, rows: Sequence[T]) -> list[T]:
        return list(reversed(rows)) if self.min_id is not None else list(rows)
