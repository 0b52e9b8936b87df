"""Mastodon's domain blocklist CSV (`#domain,#severity,#reject_media,#reject_reports,#public_comment,
#obfuscate`): parsed with every bad line reported by number, previewed, then applied all at once."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import asyncpg

from server.domain import moderation
from server.errors import Invalid
from server.store import domains as domains_store
from server.store.domains import DomainPolicy

HEADER = ["#domain", "#severity", "#reject_media", "#reject_reports", "#public_comment", "#obfuscate"]
MAX_LINES = 20_000
_BOOL = {"true": True, "false": False, "": False, "1": True, "0": False}


@dataclass(frozen=True)
class Parsed:
    policies: list[DomainPolicy]
    errors: list[str]  # "line N: why", nothing is applied while there are any


def parse(text: str) -> Parsed:
    rows = list(csv.reader(io.StringIO(text)))
    if len(rows) > MAX_LINES:
        return Parsed([], [f"the file has more than {MAX_LINES} lines"])
    if not rows:
        return Parsed([], ["the file is empty"])
    header = [h.strip().lower() for h in rows[0]]
    columns = {name.lstrip("#"): i for i, name in enumerate(header)}
    start = 1
    if "domain" not in columns:  # a plain list of domains, one per line, as some lists are shared
        columns, start = {"domain": 0}, 0
    policies, errors, seen = [], [], set()
    for number, row in enumerate(rows[start:], start=start + 1):
        if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
            continue

        def cell(name: str, row: list[str] = row) -> str:
            i = columns.get(name)
            return row[i].strip() if i is not None and i < len(row) else ""

        try:
            flags = {}
            for name in ("reject_media", "reject_reports", "obfuscate"):
                value = cell(name).lower()
                if value not in _BOOL:
                    raise Invalid(f"{name} must be true or false, not {value[:20]!r}")
                flags[name] = _BOOL[value]
            policy = moderation.validate(DomainPolicy(
                domain=cell("domain"), severity=(cell("severity") or "suspend").lower(),
                public_comment=cell("public_comment"), **flags,
            ))
        except Invalid as exc:
            errors.append(f"line {number}: {exc.message}")
            continue
        if policy.domain in seen:
            errors.append(f"line {number}: {policy.domain} is listed twice")
            continue
        seen.add(policy.domain)
        policies.append(policy)
    return Parsed(policies, errors)


async def preview(pool: asyncpg.Pool, policies: list[DomainPolicy]) -> list[tuple[DomainPolicy, int, int]]:
    """Each entry with the (follows, members) it would sever."""
    return [(p, *await domains_store.impact(pool, p.domain)) for p in policies]


async def apply(pool: asyncpg.Pool, policies: list[DomainPolicy], actor_id: int | None) -> None:
    for policy in policies:
        await moderation.set_domain_policy(pool, policy, actor_id, "blocklist import")


def export(policies: list[DomainPolicy]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for p in policies:
        writer.writerow([p.domain, moderation.mastodon_severity(p.severity), str(p.reject_media).lower(),
                         str(p.reject_reports).lower(),
                         p.public_comment, str(p.obfuscate).lower()])
    return out.getvalue()
