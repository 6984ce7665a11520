"""The architecture figures (scripts/architecture.py) hold, and the checker can see a cycle."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("architecture", REPO / "scripts" / "architecture.py")
assert _spec is not None and _spec.loader is not None
architecture = importlib.util.module_from_spec(_spec)
sys.modules["architecture"] = architecture
_spec.loader.exec_module(architecture)

MODULES = {"tui_mail.a", "tui_mail.b", "tui_mail.c", "tui_mail.pkg", "tui_mail.pkg.d"}


def test_lazy_type_checking_and_relative_imports_all_count() -> None:
    source = """
from typing import TYPE_CHECKING
from tui_mail import b
if TYPE_CHECKING:
    from tui_mail.c import Thing
def later():
    from .pkg import d
    import tui_mail.pkg
"""
    found = set(architecture.imported_modules(source, "tui_mail.a", MODULES))
    assert found == {"tui_mail.b", "tui_mail.c", "tui_mail.pkg.d", "tui_mail.pkg"}


def test_cycles_are_found_through_any_length() -> None:
    graph = {
        "tui_mail.a": {"tui_mail.b"},
        "tui_mail.b": {"tui_mail.c"},
        "tui_mail.c": {"tui_mail.a"},
        "tui_mail.pkg": {"tui_mail.pkg.d"},
        "tui_mail.pkg.d": set(),
    }
    assert architecture.cycles(graph) == [["tui_mail.a", "tui_mail.b", "tui_mail.c"]]


def test_the_package_has_no_import_cycle() -> None:
    assert architecture.cycles(architecture.import_graph()) == []


def test_no_crowded_folder_no_long_module_no_untyped_future() -> None:
    assert architecture.crowded_folders() == {}
    assert architecture.long_modules() == {}
    assert architecture.future_any_uses() == []


def test_imapclient_private_names_live_in_the_transport_only() -> None:
    users = architecture.private_name_users()
    assert set(users) <= {architecture.TRANSPORT}


def test_test_modules_share_helpers_not_each_other() -> None:
    """Shared test code lives in helper modules; a test module never imports another."""
    offending = []
    for path in sorted((REPO / "tests").rglob("*.py")):
        for line in path.read_text().splitlines():
            words = line.split()
            if len(words) >= 2 and words[0] in ("from", "import") and words[1].startswith("tests."):
                if words[1].rsplit(".", 1)[-1].startswith("test_"):
                    offending.append(f"{path.relative_to(REPO)}: {line.strip()}")
    assert offending == []
