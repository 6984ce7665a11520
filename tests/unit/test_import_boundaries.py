"""The rooms of DESIGN.md section 2 stay apart: checked in fresh interpreters and by import-linter."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

PROBE = """
import sys
import {modules}
loaded = sorted(m for m in sys.modules if m.split('.')[0] in {forbidden!r})
print(','.join(loaded))
"""


def loaded_after_import(modules: list[str], forbidden: set[str]) -> str:
    code = PROBE.format(modules=", ".join(modules), forbidden=forbidden)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def python_modules(package: str) -> list[str]:
    root = REPO / package.replace(".", "/")
    found = []
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(REPO).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found.append(".".join(parts))
    return found


def test_backend_mail_and_models_do_not_load_ui_libraries():
    modules = [
        "tui_mail.backend",
        "tui_mail.models",
        "tui_mail.errors",
        "tui_mail.config",
        "tui_mail.secrets",
        *python_modules("tui_mail.mail"),
        *python_modules("tui_mail.backend"),
    ]
    assert loaded_after_import(modules, {"textual", "rich"}) == ""


def test_ui_never_imports_network_libraries():
    """The UI may load tui_mail.backend (which uses imapclient), so check its own imports."""
    sources = sorted((REPO / "tui_mail" / "ui").rglob("*.py")) + [REPO / "tui_mail" / "app.py"]
    offending = [
        f"{path.relative_to(REPO)}: {line.strip()}"
        for path in sources
        if path.exists()
        for line in path.read_text().splitlines()
        if line.strip().startswith(("import ", "from "))
        and line.split()[1].split(".")[0] in {"imapclient", "smtplib", "imaplib", "poplib"}
    ]
    assert offending == []


def test_import_linter_contracts_hold():
    lint = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))
    done = subprocess.run([lint], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "broken" not in done.stdout.lower().replace("0 broken", "")
