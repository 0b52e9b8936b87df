"""Content rules as data: an ordered list of conditions and actions that the instance applies to
posts arriving from other servers (and, rule by rule, to local posts).

Rules are plain data (TOML or JSON), validated on the way in, with regular expressions compiled
by RE2, whose matching time is linear in the text: a pattern cannot make a match run away, and
patterns RE2 cannot run in linear time (backreferences, lookaround) are refused.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field, replace
from typing import Any

from server.errors import Invalid
from server.models import Visibility
from server.store import content_rules as rules_store
from server.store import domains as domains_store
from server.text.sanitize import strip_html

ACTIONS = ("reject", "hold", "sensitive", "content_warning", "strip_media", "unlist")
TERMINAL = ("reject", "hold")
REGEX_KEYS = ("actor", "text", "content_warning", "display_name", "bio")
LIST_KEYS = ("domain", "keywords", "hashtags", "visibility", "activity")
CONDITION_KEYS = (*REGEX_KEYS, *LIST_KEYS, "min_mentions", "max_account_age_days", "has_media", "origin")
MAX_RULES = 200
MAX_PATTERN = 1000


@dataclass(frozen=True)
class Subject:
    """What rules look at, for a remote or local post."""

    uri: str
    origin: str  # local | remote
    domain: str  # '' for local
    actor: str  # the author's id or handle
    text: str  # plain text
    content_warning: str
    display_name: str
    bio: str
    hashtags: tuple[str, ...]
    mentions: int
    account_age_days: float
    has_media: bool
    visibility: str
    activity: str = "Create"


@dataclass(frozen=True)
class Rule:
    name: str
    action: str
    when: dict[str, Any]
    warning: str = ""
    local: bool = False
    enabled: bool = True
    compiled: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def matches(self, s: Subject) -> bool:
        if s.origin == "local" and not self.local:
            return False
        w, c = self.when, self.compiled
        checks = [
            ("domain", lambda: any(s.domain == d or s.domain.endswith("." + d) or s.domain.split(":")[0] == d
                                   for d in w["domain"])),
            ("actor", lambda: c["actor"].search(s.actor) is not None),
            ("text", lambda: c["text"].search(s.text) is not None),
            ("keywords", lambda: c["keywords"].search(s.text) is not None),
            ("content_warning", lambda: c["content_warning"].search(s.content_warning) is not None),
            ("display_name", lambda: c["display_name"].search(s.display_name) is not None),
            ("bio", lambda: c["bio"].search(s.bio) is not None),
            ("hashtags", lambda: bool({h.lower() for h in w["hashtags"]} & {h.lower() for h in s.hashtags})),
            ("min_mentions", lambda: s.mentions >= w["min_mentions"]),
            ("max_account_age_days", lambda: s.account_age_days < w["max_account_age_days"]),
            ("has_media", lambda: s.has_media == w["has_media"]),
            ("visibility", lambda: s.visibility in w["visibility"]),
            ("activity", lambda: s.activity in w["activity"]),
            ("origin", lambda: s.origin == w["origin"]),
        ]
        return all(check() for key, check in checks if key in w)

    def as_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "action": self.action, "enabled": self.enabled, "local": self.local}
        if self.warning:
            data["warning"] = self.warning
        data["when"] = dict(self.when)
        return data


def _regex(rule: str, key: str, pattern: Any) -> Any:
    if not isinstance(pattern, str) or not pattern or len(pattern) > MAX_PATTERN:
        raise Invalid(f"rule {rule!r}: when.{key} must be a regular expression of 1 to {MAX_PATTERN} characters")
    import re2  # here, not at the top: most instances have no content rules (1.5 MiB a process)

    options = re2.Options()
    options.log_errors = False
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        why = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise Invalid(f"rule {rule!r}: when.{key} is not a regular expression this server can run safely "
                      f"({why})") from None


def parse_rule(data: Any, index: int) -> Rule:
    if not isinstance(data, dict):
        raise Invalid(f"rule {index}: must be a table")
    unknown = set(data) - {"name", "action", "when", "warning", "local", "enabled"}
    if unknown:
        raise Invalid(f"rule {index}: unknown field {sorted(unknown)[0]!r}")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        raise Invalid(f"rule {index}: needs a name of 1 to 100 characters")
    action = data.get("action")
    if action not in ACTIONS:
        raise Invalid(f"rule {name!r}: action must be one of {', '.join(ACTIONS)}")
    local, enabled = data.get("local", False), data.get("enabled", True)
    if not isinstance(local, bool) or not isinstance(enabled, bool):
        raise Invalid(f"rule {name!r}: local and enabled must be true or false")
    if local and action == "hold":
        raise Invalid(f"rule {name!r}: local posts cannot be held; choose another action")
    warning = data.get("warning", "")
    if action == "content_warning" and (not isinstance(warning, str) or not warning.strip() or len(warning) > 500):
        raise Invalid(f"rule {name!r}: the content_warning action needs a warning text of up to 500 characters")
    when = data.get("when")
    if not isinstance(when, dict) or not when:
        raise Invalid(f"rule {name!r}: needs at least one condition under when")
    compiled: dict[str, Any] = {}
    for key, value in when.items():
        if key not in CONDITION_KEYS:
            raise Invalid(f"rule {name!r}: unknown condition when.{key}")
        if key in REGEX_KEYS:
            compiled[key] = _regex(name, key, value)
        elif key in LIST_KEYS:
            if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
                raise Invalid(f"rule {name!r}: when.{key} must be a list of strings")
            if key == "keywords":
                words = "|".join(re.escape(v) for v in value)
                compiled[key] = _regex(name, key, rf"(?i)(?:^|\W)(?:{words})(?:\W|$)")
        elif key in ("min_mentions", "max_account_age_days"):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise Invalid(f"rule {name!r}: when.{key} must be a whole number")
        elif key == "has_media" and not isinstance(value, bool):
            raise Invalid(f"rule {name!r}: when.has_media must be true or false")
        elif key == "origin" and value not in ("local", "remote"):
            raise Invalid(f"rule {name!r}: when.origin must be local or remote")
    return Rule(name.strip(), action, dict(when), warning.strip() if isinstance(warning, str) else "", local,
                enabled, compiled)


def parse_ruleset(data: Any) -> list[Rule]:
    """Validated rules from parsed data ({"rules": [...]} or a bare list)."""
    items = data.get("rules", []) if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise Invalid("the rules must be a list under 'rules'")
    if len(items) > MAX_RULES:
        raise Invalid(f"at most {MAX_RULES} rules")
    rules = [parse_rule(item, i + 1) for i, item in enumerate(items)]
    names = [r.name for r in rules]
    if len(set(names)) != len(names):
        raise Invalid("two rules have the same name")
    return rules


def load_text(text: str) -> list[Rule]:
    """Rules from TOML or JSON text."""
    stripped = text.strip()
    try:
        is_json = stripped.startswith("{") or (stripped.startswith("[") and not stripped.startswith("[["))
        data = json.loads(stripped) if is_json else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise Invalid(f"not valid TOML or JSON: {exc}") from None
    return parse_ruleset(data)


def dump_toml(rules: list[Rule]) -> str:
    import tomli_w

    return tomli_w.dumps({"rules": [r.as_data() for r in rules]})


def dump_json(rules: list[Rule]) -> str:
    return json.dumps({"rules": [r.as_data() for r in rules]}, indent=2)


@dataclass
class Decision:
    """What the rules decided for one post: the hits, and the changes to make."""

    hits: list[tuple[str, str]] = field(default_factory=list)  # (rule name, action)
    reject: bool = False
    hold: str | None = None  # the rule that holds it for review
    sensitive: bool = False
    warning: str = ""
    strip_media: bool = False
    unlist: bool = False

    @property
    def last_rule(self) -> str:
        """The rule that matched last (for a rejection, the one that rejected); '' when none matched."""
        return self.hits[-1][0] if self.hits else ""


def evaluate(rules: list[Rule], subject: Subject) -> Decision:
    decision = Decision()
    for rule in rules:
        if not rule.enabled or not rule.matches(subject):
            continue
        decision.hits.append((rule.name, rule.action))
        if rule.action == "reject":
            decision.reject = True
        elif rule.action == "hold":
            decision.hold = rule.name
        elif rule.action == "sensitive":
            decision.sensitive = True
        elif rule.action == "content_warning":
            decision.sensitive = True
            decision.warning = decision.warning or rule.warning
        elif rule.action == "strip_media":
            decision.strip_media = True
        elif rule.action == "unlist":
            decision.unlist = True
        if rule.action in TERMINAL:
            break
    return decision


# --- stored rules: versions, hits, dry runs ---------------------------------------------------------

_compiled: dict[int, list[Rule]] = {}  # ruleset version -> its compiled rules (this process's cache)


async def active(pool: Any) -> tuple[int | None, list[Rule]]:
    """The current ruleset (compiled once per version)."""
    found = await rules_store.current(pool)
    if found is None:
        return None, []
    version_id, data = found
    if version_id not in _compiled:
        _compiled.clear()
        _compiled[version_id] = parse_ruleset(data)
    return version_id, _compiled[version_id]


@dataclass
class Checked(Decision):
    version_id: int | None = None


async def check(pool: Any, subject: Subject, *, record: bool = True) -> Checked:
    """Evaluate the current rules on a post and (unless the caller records it later, inside its
    own transaction) keep the trail of every rule that acted."""
    version_id, rules = await active(pool)
    decision = Checked(**evaluate(rules, subject).__dict__, version_id=version_id)
    if record:
        await record_hits(pool, decision, subject.uri)
    return decision


async def record_hits(db: Any, decision: Checked, subject: str) -> None:
    if decision.hits and decision.version_id is not None:
        await rules_store.record_hits(db, decision.version_id, decision.hits, subject)


async def save(pool: Any, text: str, actor_id: int | None, comment: str = "") -> int:
    """Validate and store a new version of the whole ruleset (nothing is stored if any rule is bad)."""
    rules = load_text(text)
    async with pool.acquire() as conn, conn.transaction():
        version_id = await rules_store.save(conn, [r.as_data() for r in rules], actor_id, comment[:500])
        await domains_store.log(conn, actor_id, "content_rules: saved", f"version {version_id}", comment)
    return version_id


async def rollback(pool: Any, version_id: int, actor_id: int | None) -> int:
    data = await rules_store.version(pool, version_id)
    if data is None:
        raise Invalid("There is no such version.")
    async with pool.acquire() as conn, conn.transaction():
        new_id = await rules_store.save(conn, data, actor_id, f"restored version {version_id}")
        await domains_store.log(conn, actor_id, "content_rules: restored", f"version {version_id}")
    return new_id


def subject_from_row(row: dict[str, Any]) -> Subject:
    age = (row["created_at"] - row["account_created"]).total_seconds() / 86400
    return Subject(
        uri=row["uri"], origin="local" if row["local"] else "remote", domain=(row["domain"] or "").lower(),
        actor=row["actor"], text=strip_html(row["content"]), content_warning=row["spoiler_text"],
        display_name=row["display_name"], bio=strip_html(row["note"]), hashtags=tuple(row["tags"]),
        mentions=row["mentions"], account_age_days=max(age, 0.0), has_media=row["has_media"],
        visibility=row["visibility"],
    )


async def dry_run(pool: Any, text: str, days: int, limit: int = 5000) -> list[dict[str, Any]]:
    """What draft rules would have matched among the posts of the last `days` days (nothing is changed)."""
    rules = load_text(text)
    if not 1 <= days <= 90:
        raise Invalid("A dry run looks back 1 to 90 days.")
    subjects = [subject_from_row(r) for r in await rules_store.recent_posts(pool, days, limit)]
    report = []
    for rule in rules:
        matched = [s for s in subjects if rule.matches(s)]
        report.append({"rule": rule, "count": len(matched), "examples": matched[:5], "scanned": len(subjects)})
    return report


def applied(decision: Decision, post: Any, visibility: Any) -> tuple[Any, Any]:
    """A remote post (federation.parse.RemoteNote) and its visibility after the non-terminal actions."""
    changes: dict[str, Any] = {}
    if decision.sensitive:
        changes["sensitive"] = True
    if decision.warning and not post.spoiler_text:
        changes["spoiler_text"] = decision.warning
    if decision.strip_media:
        changes["attachments"] = []
    if decision.unlist and visibility == Visibility.PUBLIC:
        visibility = Visibility.UNLISTED
    return (replace(post, **changes) if changes else post), visibility
