"""The shape of the code, read with `ast`: where SQL may live, which layer may import which, no
import cycles, no module over 600 lines.

Rules (../shared/DESIGN.md): SQL only in server/store, server/db and the queue (federation/queue.py,
federation/inbox/writer.py); server/web and server/api never import each other; nothing outside
federation/ imports federation.inbox; store and db import no higher layer; domain and federation
import neither web nor api. Imports under `if TYPE_CHECKING:` do not count.

KNOWN lists what is still to be moved (each entry is debt, not permission): a change may only
shrink it. A new violation, or a known one that grows, fails; a known one that is gone must be
taken off the list, so the list always tells the truth.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("server", "federation")
SQL_HOMES = ("server/store/", "server/db/", "federation/queue.py", "federation/inbox/writer.py")
MAX_LINES = 600
# The start of an SQL statement; `SELECT 1` alone is a connection's liveness ping, not data access.
SQL = re.compile(r"^\s*(SELECT(?! 1$)|INSERT INTO|UPDATE \w+ SET|DELETE FROM|WITH \w+ AS \()", re.IGNORECASE)

# Statements of SQL per module outside the store, still to move into server/store.
KNOWN_SQL: dict[str, int] = {}
# (importer, imported) pairs that break the layering, still to untangle.
KNOWN_IMPORTS: set[tuple[str, str]] = set()


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            rel = path.relative_to(ROOT).with_suffix("")
            parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
            found[".".join(parts)] = path
    return found


def _type_checking_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def imports_of(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The project modules `name` imports (at any depth in the file, not under TYPE_CHECKING)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_lines(tree)
    out: set[str] = set()
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in skip:
            continue
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            targets = [f"{node.module}.{a.name}" for a in node.names] + [node.module]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                out.add(target)
    return out


def layer(module: str) -> str:
    parts = module.split(".")
    if parts[0] == "federation":
        return "federation.inbox" if parts[:2] == ["federation", "inbox"] else "federation"
    return ".".join(parts[:2]) if len(parts) > 1 else "server"


FORBIDDEN = {  # importer's layer -> layers it must not import
    "server.store": {"server.domain", "server.web", "server.api", "federation", "federation.inbox"},
    "server.db": {"server.store", "server.domain", "server.web", "server.api", "federation", "federation.inbox"},
    "server.domain": {"server.web", "server.api"},
    "federation": {"server.web", "server.api"},
    "federation.inbox": {"server.web", "server.api"},
    "server.web": {"server.api", "federation.inbox"},
    "server.api": {"server.web", "federation.inbox"},
    "server.text": {"server.web", "server.api", "server.domain"},
    "server.media": {"server.web", "server.api", "server.domain"},
}


def test_sql_lives_in_the_store() -> None:
    counts: Counter[str] = Counter()
    for path in modules().values():
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith(SQL_HOMES):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.match(node.value):
                counts[rel] += 1
            elif isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant) \
                    and SQL.match(str(node.values[0].value)):
                counts[rel] += 1
    grown = {m: n for m, n in counts.items() if n > KNOWN_SQL.get(m, 0)}
    assert not grown, f"SQL outside server/store (move it into the aggregate's store module): {grown}"
    gone = {m: n for m, n in KNOWN_SQL.items() if counts.get(m, 0) < n}
    assert not gone, f"less SQL outside the store than KNOWN_SQL says; lower it to: {dict(counts)}"


def test_layers_import_downwards_only() -> None:
    known = modules()
    bad = set()
    for name, path in known.items():
        for target in imports_of(name, path, known):
            if layer(target) in FORBIDDEN.get(layer(name), set()):
                bad.add((name, target))
    assert not bad - KNOWN_IMPORTS, f"imports against the layering: {sorted(bad - KNOWN_IMPORTS)}"
    assert not KNOWN_IMPORTS - bad, f"fixed, take off KNOWN_IMPORTS: {sorted(KNOWN_IMPORTS - bad)}"


def test_no_import_cycles() -> None:
    known = modules()
    graph = {name: imports_of(name, path, known) for name, path in known.items()}
    # A package's __init__ re-exporting its own modules is not a cycle of design.
    graph = {n: {t for t in ts if not n.startswith(t + ".")} for n, ts in graph.items()}
    cycles, state = [], {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = "open"
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                cycles.append(stack[stack.index(target):] + [target])
            elif target not in state:
                visit(target, [*stack, target])
        state[node] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_no_module_is_over_600_lines() -> None:
    long = {p.relative_to(ROOT).as_posix(): n for p in modules().values()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines: {long}"


def test_web_and_api_leave_transactions_to_the_domain() -> None:
    """A change that needs a transaction carries a rule: it is one server/domain function."""
    found = []
    for path in modules().values():
        rel = path.relative_to(ROOT).as_posix()
        if not rel.startswith(("server/web/", "server/api/")):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "transaction":
                found.append(f"{rel}:{node.lineno}")
    assert not found, f"transactions opened in web/api handlers: {found}"
