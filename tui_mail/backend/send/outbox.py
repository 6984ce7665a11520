"""The outbox: messages on their way out, kept on disk until every step is done.

Each entry is a directory ``<root>/<id>/`` holding ``message.eml`` (the exact bytes
to send) and ``status.json`` (envelope, attempts, the last failed step, whether the
SMTP server already accepted it). An entry is built in ``.tmp-<id>/`` and renamed
into place, so a crash leaves either a whole entry or none; status updates replace
``status.json`` atomically. Files are 0600, directories 0700.

``smtp_accepted`` is written *before* anything else happens after the server said
250 to DATA: an entry with it set is never handed to SMTP again, whatever fails
later (saving to Sent, flagging the original) or however the program stops.
"""

from __future__ import annotations

import builtins
import json
import os
import shutil
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tui_mail.backend.api import OutboxEntry
from tui_mail.errors import NotFound, SendError
from tui_mail.mail.compose import envelope
from tui_mail.models import Draft
from tui_mail.paths import write_private_file

MESSAGE_FILE = "message.eml"
STATUS_FILE = "status.json"
_TMP_PREFIX = ".tmp-"
_TRASH_PREFIX = ".trash-"
#: Automatic retries wait 1, 2, 4 ... minutes, never more than an hour.
RETRY_BASE = timedelta(minutes=1)
RETRY_CAP = timedelta(hours=1)
#: A half-built entry older than this is from a crashed run, not a running ``add``.
_STALE_TMP = timedelta(hours=1)


def retry_delay(attempts: int) -> timedelta:
    """Capped exponential backoff after ``attempts`` failed tries."""
    if attempts <= 0:
        return timedelta(0)
    # A shift, not 2 ** n: int ** int is typed Any (a negative power is a float).
    return min(RETRY_BASE * (1 << min(attempts - 1, 20)), RETRY_CAP)


class Outbox:
    """Messages waiting to be sent, one directory per message (see the module docstring)."""

    # One lock for every Outbox object: status updates are read-modify-write.
    _lock = threading.Lock()

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._discard_stale_partials()

    def add(
        self,
        message: bytes,
        *,
        account: str,
        mail_from: str,
        recipients: Sequence[str],
        subject: str = "",
        original: tuple[str, int] | None = None,
        reply_kind: str = "",
    ) -> str:
        """Queue ``message`` durably and return its entry id (sortable by creation time)."""
        entry_id = f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}"
        entry = OutboxEntry(
            id=entry_id,
            account=account,
            mail_from=mail_from,
            recipients=tuple(recipients),
            subject=subject,
            created=_now(),
            original=original,
            reply_kind=reply_kind,
        )
        building = self.root / f"{_TMP_PREFIX}{entry_id}"
        building.mkdir(mode=0o700)
        write_private_file(building / MESSAGE_FILE, message)
        write_private_file(building / STATUS_FILE, _to_json(entry))
        _fsync_dir(building)
        os.rename(building, self.root / entry_id)
        _fsync_dir(self.root)
        return entry_id

    def add_draft(self, draft: Draft, message: bytes) -> str:
        """Queue a message built from ``draft`` (``compose.message_bytes``).

        The envelope comes from the draft, so Bcc recipients get the mail although
        the headers do not name them.
        """
        mail_from, recipients = envelope(draft)
        return self.add(
            message,
            account=draft.account,
            mail_from=mail_from,
            recipients=recipients,
            subject=draft.subject,
            original=draft.original,
            reply_kind=draft.reply_kind,
        )

    def list(self) -> builtins.list[OutboxEntry]:
        """Every complete entry, oldest first (damaged ones included, with ``problems``)."""
        entries = []
        for path in sorted(self.root.iterdir()):
            if path.name.startswith(".") or not (path / MESSAGE_FILE).is_file():
                continue
            entries.append(self._read(path))
        return entries

    def get(self, entry_id: str) -> OutboxEntry:
        """The entry's status; NotFound when there is no such entry."""
        return self._read(self._dir(entry_id))

    def message(self, entry_id: str) -> bytes:
        """The exact bytes queued for ``entry_id``."""
        return (self._dir(entry_id) / MESSAGE_FILE).read_bytes()

    def pending(self) -> builtins.list[OutboxEntry]:
        """Entries the SMTP server has not accepted yet."""
        return [e for e in self.list() if not e.smtp_accepted]

    def due(self, now: datetime | None = None) -> builtins.list[OutboxEntry]:
        """Pending entries whose retry time has come (permanent failures excluded)."""
        now = now or datetime.now(UTC)
        ready = []
        for entry in self.pending():
            if entry.permanent or entry.problems:
                continue
            if not entry.last_attempt or now >= _parse_time(entry.last_attempt) + retry_delay(
                entry.attempts
            ):
                ready.append(entry)
        return ready

    def unfinished(self) -> builtins.list[OutboxEntry]:
        """Sent entries still here: the Sent copy failed, or a crash cut the later steps.

        They are never handed to SMTP again; ``send_from_outbox`` finishes them.
        """
        return [e for e in self.list() if e.smtp_accepted]

    def mark_failed(
        self, entry_id: str, step: str, error: str, *, permanent: bool = False
    ) -> OutboxEntry:
        """Record a failed delivery attempt at ``step``."""
        with self._lock:
            entry = self.get(entry_id)
            changed = replace(
                entry,
                attempts=entry.attempts + 1,
                last_attempt=_now(),
                last_step=step,
                last_error=error,
                permanent=permanent,
            )
            return self._write(changed)

    def mark_accepted(self, entry_id: str) -> OutboxEntry:
        """Record that the server took the message; persisted before any later step."""
        return self._update(
            entry_id, smtp_accepted=True, last_step="", last_error="", permanent=False
        )

    def mark_sent_saved(self, entry_id: str, error: str = "") -> OutboxEntry:
        """Record the outcome of the Sent APPEND (``error`` empty when it worked)."""
        if error:
            return self._update(entry_id, sent_saved=False, last_step="sent", last_error=error)
        return self._update(entry_id, sent_saved=True)

    def mark_original(self, entry_id: str, error: str = "") -> OutboxEntry:
        """Record the outcome of flagging the original (``error`` empty when it worked)."""
        if error:
            return self._update(entry_id, original_marked=False, last_step="flag", last_error=error)
        return self._update(entry_id, original_marked=True)

    def remove(self, entry_id: str) -> None:
        """Delete an entry: renamed away first, so it vanishes from ``list`` at once."""
        source = self._dir(entry_id)
        doomed = self.root / f"{_TRASH_PREFIX}{entry_id}"
        os.rename(source, doomed)
        shutil.rmtree(doomed, ignore_errors=True)

    def _update(self, entry_id: str, **changes: Any) -> OutboxEntry:
        with self._lock:
            return self._write(replace(self.get(entry_id), **changes))

    def _write(self, entry: OutboxEntry) -> OutboxEntry:
        write_private_file(self._dir(entry.id) / STATUS_FILE, _to_json(entry))
        return entry

    def _dir(self, entry_id: str) -> Path:
        path = self.root / entry_id
        if "/" in entry_id or entry_id.startswith(".") or not (path / MESSAGE_FILE).is_file():
            raise NotFound("No such outbox entry", entry_id)
        return path

    def _read(self, path: Path) -> OutboxEntry:
        try:
            data = json.loads((path / STATUS_FILE).read_text("utf-8"))
            original = data.pop("original", None)
            data["original"] = (str(original[0]), int(original[1])) if original else None
            data["recipients"] = tuple(data.get("recipients", ()))
            data["problems"] = tuple(data.get("problems", ()))
            return OutboxEntry(**data)
        except (OSError, ValueError, TypeError, KeyError, IndexError) as exc:
            # The bytes are still there: show the entry rather than hide the mail.
            problem = f"status file unreadable: {exc.__class__.__name__}"
            return OutboxEntry(
                id=path.name, account="", mail_from="", recipients=(), problems=(problem,)
            )

    def _discard_stale_partials(self) -> None:
        cutoff = time.time() - _STALE_TMP.total_seconds()
        for path in self.root.iterdir():
            if path.name.startswith(_TRASH_PREFIX) or (
                path.name.startswith(_TMP_PREFIX) and path.stat().st_mtime < cutoff
            ):
                shutil.rmtree(path, ignore_errors=True)


def load_attachments(
    paths: Sequence[str], max_total: int = 50 * 1024 * 1024
) -> list[tuple[str, bytes, str]]:
    """Read a draft's attachment files as ``(name, bytes, "")`` for ``build_message``.

    NotFound names a file that is missing or unreadable; the total size is capped.
    """
    loaded: list[tuple[str, bytes, str]] = []
    total = 0
    for name in paths:
        path = Path(name).expanduser()
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise NotFound("Cannot read attachment", f"{path}: {exc.strerror or exc}") from None
        total += len(data)
        if total > max_total:
            limit = f"more than {max_total // (1024 * 1024)} MB"
            raise SendError("Attachments too large", limit, step="compose")
        loaded.append((path.name, data, ""))
    return loaded


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _parse_time(text: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return datetime.fromtimestamp(0, UTC)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _to_json(entry: OutboxEntry) -> str:
    return json.dumps(asdict(entry), ensure_ascii=False, indent=1)


def _fsync_dir(path: Path) -> None:
    """Make a rename in ``path`` durable (survives power loss, not only a crash)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
