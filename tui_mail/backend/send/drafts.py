"""Local draft autosave: what the user typed survives a crash or a SIGKILL.

One JSON file per draft, ``<root>/<draft_id>.json``, replaced atomically (temporary
file, fsync, rename; mode 0600) on every save, so a kill at any moment leaves the
previous or the new version, never half of one. On start the app offers
``load_all()`` back to the user; a sent or discarded draft is ``remove``\\ d.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from dataclasses import asdict
from pathlib import Path
from typing import Any

from tui_mail.errors import NotFound
from tui_mail.models import Address, Draft
from tui_mail.paths import write_private_file

_SAFE_ID = re.compile(r"[A-Za-z0-9_-]{1,80}")


class DraftStore:
    """Autosaved drafts in one directory (see the module docstring)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
        # Autosaves run in worker threads and may overlap: one at a time, or two
        # writers race on the same temporary file and one save fails.
        self._lock = threading.Lock()

    def save(self, draft: Draft) -> None:
        """Write ``draft`` atomically; gives it a ``draft_id`` first when it has none.

        The draft is read under the lock, so of two overlapping saves of one draft the
        one that writes last writes its newest text.
        """
        if not draft.draft_id:
            draft.draft_id = uuid.uuid4().hex
        with self._lock:
            text = json.dumps(asdict(draft), ensure_ascii=False)
            write_private_file(self._path(draft.draft_id), text)

    def load_all(self) -> list[Draft]:
        """Every readable saved draft, oldest save first; unreadable files are skipped."""
        found: list[tuple[float, Draft]] = []
        for path in self.root.glob("*.json"):
            try:
                found.append((path.stat().st_mtime, draft_from_json(path.read_text("utf-8"))))
            except (OSError, ValueError, TypeError, KeyError):
                continue  # a foreign or damaged file: never a reason to fail start-up
        return [draft for _, draft in sorted(found, key=lambda pair: pair[0])]

    def remove(self, draft_id: str) -> None:
        """Forget a draft (sent or discarded); a missing one is not an error."""
        with self._lock:
            self._path(draft_id).unlink(missing_ok=True)

    def _path(self, draft_id: str) -> Path:
        if not _SAFE_ID.fullmatch(draft_id):
            raise NotFound("Not a draft id", draft_id[:80])
        return self.root / f"{draft_id}.json"


def draft_from_json(text: str) -> Draft:
    """Rebuild a Draft from ``save``'s JSON; ValueError/TypeError/KeyError when malformed."""
    data: dict[str, Any] = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    data["from_"] = _address(data["from_"])
    for key in ("to", "cc", "bcc"):
        data[key] = [_address(item) for item in data.get(key, [])]
    for key in ("original", "server_draft"):
        value = data.get(key)
        data[key] = (str(value[0]), int(value[1])) if value else None
    draft = Draft(**data)
    if not _SAFE_ID.fullmatch(draft.draft_id):
        raise ValueError("bad draft id")
    return draft


def _address(item: Any) -> Address:
    return Address(str(item["name"]), str(item["email"]))
