"""Print the figures that keep tui-mail's rooms apart, and fail when one is off.

Run as ``python scripts/architecture.py`` (CI does, from ``scripts/test.sh``).
It reads the source with ``ast``, so every import counts: module-level, inside a
function (lazy) and under ``if TYPE_CHECKING:``. Checked:

- no import cycle between modules of ``tui_mail``;
- no folder with more than 15 modules, no module over 450 lines;
- no ``Future[Any]`` in ``tui_mail/backend``;
- imapclient's and imaplib's private names used in one module only
  (``tui_mail/backend/imap/transport.py``).
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = "tui_mail"
MAX_MODULES_PER_FOLDER = 15
MAX_LINES = 450
TRANSPORT = "tui_mail/backend/imap/transport.py"


def module_name(path: Path) -> str:
    """``tui_mail/backend/api.py`` -> ``tui_mail.backend.api`` (a package is its ``__init__``)."""
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def source_files() -> list[Path]:
    """Every ``.py`` file of the package, sorted."""
    return sorted((REPO / PACKAGE).rglob("*.py"))


def imported_modules(
    source: str, name: str, modules: set[str], is_package: bool = False
) -> Iterator[str]:
    """The ``tui_mail`` modules that module ``name`` (its ``source``) imports anywhere."""
    tree = ast.parse(source, name)
    package = name if is_package else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == PACKAGE:
                    yield alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against this module's package
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            if base.split(".")[0] != PACKAGE:
                continue
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                yield submodule if submodule in modules else base


def import_graph() -> dict[str, set[str]]:
    """Module -> the modules it imports (only those that exist in the package)."""
    files = source_files()
    modules = {module_name(path) for path in files}
    graph: dict[str, set[str]] = {}
    for path in files:
        name = module_name(path)
        found = imported_modules(path.read_text(), name, modules, path.name == "__init__.py")
        graph[name] = {m for m in found if m in modules and m != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    sys.setrecursionlimit(10_000)
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def crowded_folders() -> dict[str, int]:
    """Folders holding more than the allowed number of modules (``__init__`` not counted)."""
    counts: dict[str, int] = defaultdict(int)
    for path in source_files():
        if path.name != "__init__.py":
            counts[str(path.parent.relative_to(REPO))] += 1
    return {folder: n for folder, n in sorted(counts.items()) if n > MAX_MODULES_PER_FOLDER}


def long_modules() -> dict[str, int]:
    """Modules over the line limit."""
    sizes = {str(p.relative_to(REPO)): len(p.read_text().splitlines()) for p in source_files()}
    return {path: n for path, n in sorted(sizes.items()) if n > MAX_LINES}


def future_any_uses() -> list[str]:
    """``file:line`` of each ``Future[Any]`` in the backend."""
    hits = []
    for path in sorted((REPO / PACKAGE / "backend").rglob("*.py")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if "Future[Any]" in line:
                hits.append(f"{path.relative_to(REPO)}:{number}")
    return hits


def imap_private_names() -> set[str]:
    """The underscore names imapclient's client and imaplib define (not dunders)."""
    import imaplib

    import imapclient
    import imapclient.imapclient

    names: set[str] = set()
    for owner in (imapclient.IMAPClient, imaplib.IMAP4, imaplib, imapclient.imapclient):
        names |= {n for n in dir(owner) if n.startswith("_") and not n.startswith("__")}
    names |= {"_imap"}  # an instance attribute of IMAPClient, not visible on the class
    return names


def private_name_users() -> dict[str, list[str]]:
    """Files (outside the transport) -> imapclient/imaplib private names they touch."""
    private = imap_private_names()
    users: dict[str, list[str]] = {}
    for path in source_files():
        tree = ast.parse(path.read_text(), str(path))
        used: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in private:
                receiver = node.value
                if isinstance(receiver, ast.Name) and receiver.id in ("self", "cls"):
                    continue  # our own attribute of the same name
                used.add(node.attr)
            elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in (
                "imapclient",
                "imaplib",
            ):
                used |= {a.name for a in node.names if a.name in private}
        if used:
            users[str(path.relative_to(REPO))] = sorted(used)
    return users


def main() -> int:
    """Print each figure; exit 1 when one breaks its rule."""
    graph = import_graph()
    edges = sum(len(targets) for targets in graph.values())
    problems = 0
    found = cycles(graph)
    print(f"modules: {len(graph)}, imports between them: {edges} (lazy and TYPE_CHECKING included)")
    print(f"import cycles: {len(found)}")
    for group in found:
        print("  cycle: " + " <-> ".join(group))
    crowded = crowded_folders()
    print(f"folders over {MAX_MODULES_PER_FOLDER} modules: {len(crowded)}")
    for folder, count in crowded.items():
        print(f"  {folder}: {count}")
    long = long_modules()
    print(f"modules over {MAX_LINES} lines: {len(long)}")
    for path, count in long.items():
        print(f"  {path}: {count}")
    futures = future_any_uses()
    print(f"Future[Any] in tui_mail/backend: {len(futures)}")
    for place in futures:
        print(f"  {place}")
    users = private_name_users()
    outside = {path: names for path, names in users.items() if path != TRANSPORT}
    print(f"modules using imapclient/imaplib private names: {len(users)} ({', '.join(users) or '-'})")
    for path, names in outside.items():
        print(f"  outside the transport: {path}: {', '.join(names)}")
    problems = len(found) + len(crowded) + len(long) + len(futures) + len(outside)
    print("architecture: ok" if not problems else f"architecture: {problems} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
