"""The command handlers, against a fake session and a real cache (no sockets).

- every ``api.Command`` subclass is in ``api.AnyCommand`` and reaches a handler
  that answers with the result type the command names (``Command[R]``);
- a fetched body is cached and indexed for local search, through the one body
  fetch the indexer uses too; the folder counts are announced by one function.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.cache_helpers import text_hits
from tui_mail.backend import api
from tui_mail.backend.account import handlers as handlers_module
from tui_mail.backend.account.context import AccountContext
from tui_mail.backend.account.handlers import COMMAND_TYPES, CommandHandlers
from tui_mail.backend.account.indexer import BodyIndexer
from tui_mail.backend.account.sync import SyncResult
from tui_mail.backend.cache.store import FolderState, MailCache
from tui_mail.config import AccountConfig, ServerConfig
from tui_mail.errors import MailError, NotFound
from tui_mail.models import Folder, FolderRole, MessageSummary

T = TypeVar("T")
REPO = Path(__file__).resolve().parents[2]
ACCOUNT = "test"
RAW = (
    b"From: Ann <ann@example.com>\r\nTo: bob@example.com\r\nSubject: Figures\r\n"
    b"Message-ID: <1@example.com>\r\n\r\nThe quarterly zebrafigures are attached.\r\n"
)


class FakeSession:
    """Answers the session calls the handlers make; records them."""

    def __init__(self, bodies: dict[int, bytes] | None = None) -> None:
        self.bodies = bodies or {}
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self.selected: str | None = None

    def __getattr__(self, name: str) -> Callable[..., Any]:
        results: dict[str, Any] = {
            "list_folders": ([], {}),
            "search": [3, 4],
            "store_flags": {},
            "move": {1: 11},
            "copy": {1: 21},
            "append": 7,
        }

        def record(*args: Any) -> Any:
            self.calls.append((name, args))
            return results.get(name)

        return record

    def ensure_selected(self, folder: str) -> None:
        self.selected = folder

    def fetch(self, uids: Sequence[int], items: Sequence[str]) -> dict[int, dict[bytes, Any]]:
        self.calls.append(("fetch", (tuple(uids), tuple(items))))
        return {uid: {b"BODY[]": self.bodies[uid]} for uid in uids if uid in self.bodies}


class FakeSync:
    """Stands in for FolderSync (its own tests use real servers)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def run(self) -> SyncResult:
        return SyncResult(total=2, unread=1, added=0, removed=0, flag_changes=0)


class Deferred:
    """``submit_call`` that keeps the calls for the test to run (as the worker would, later)."""

    def __init__(self) -> None:
        self.calls: list[Callable[[], object]] = []

    def __call__(self, call: Callable[[], T], read_only: bool = False) -> Future[T]:
        self.calls.append(call)
        return Future()

    def run_all(self) -> None:
        for call in self.calls:
            call()
        self.calls.clear()


def account_config() -> AccountConfig:
    server = ServerConfig("127.0.0.1", 1)
    return AccountConfig(ACCOUNT, "u@example.com", "U", server, None)


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[MailCache]:
    opened = MailCache.open(tmp_path / "cache.sqlite3", ACCOUNT)
    yield opened
    opened.close()


def make_context(
    cache: MailCache, session: FakeSession, events: list[api.BackendEvent], later: Deferred
) -> AccountContext:
    return AccountContext(
        account_config(),
        session=lambda: session,  # type: ignore[arg-type, return-value]
        emit=events.append,
        run_waiting_user_jobs=lambda: None,
        submit_call=later,
        cache_or_none=cache,
        folders=(
            Folder(ACCOUNT, "INBOX", role=FolderRole.INBOX),
            Folder(ACCOUNT, "Trash", role=FolderRole.TRASH),
        ),
    )


def all_command_classes() -> set[type[api.Command[Any]]]:
    found: set[type[api.Command[Any]]] = set()
    todo: list[type[api.Command[Any]]] = [api.Command]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub.__module__.startswith("tui_mail.") and sub not in found:
                found.add(sub)
                todo.append(sub)
    return found


def declared_result(cls: type[api.Command[Any]]) -> Any:
    """The ``R`` of ``class X(Command[R])``."""
    for base in cls.__orig_bases__:  # type: ignore[attr-defined]
        if typing.get_origin(base) is api.Command:
            return typing.get_args(base)[0]
    raise AssertionError(f"{cls.__name__} does not name its result type")


def conforms(value: object, declared: Any) -> bool:
    if declared is None:
        return value is None
    origin = typing.get_origin(declared)
    if origin in (types.UnionType, typing.Union):
        return any(conforms(value, arg) for arg in typing.get_args(declared))
    if origin is not None:
        return isinstance(value, origin)
    if declared is api.MessageView:
        return hasattr(value, "rows")
    return isinstance(value, declared)


EXAMPLES: list[api.Command[Any]] = [
    api.ListFolders(ACCOUNT),
    api.SyncFolder(ACCOUNT, "INBOX"),
    api.FetchBody(ACCOUNT, "INBOX", 1),
    api.SetFlags(ACCOUNT, "INBOX", (1,), ("\\Seen",)),
    api.MoveMessages(ACCOUNT, "INBOX", (1,), "Archive"),
    api.CopyMessages(ACCOUNT, "INBOX", (1,), "Archive"),
    api.DeleteMessages(ACCOUNT, "INBOX", (1,)),
    api.AppendMessage(ACCOUNT, "Sent", RAW),
    api.ServerSearch(ACCOUNT, "INBOX", ("ALL",)),
    api.CreateFolder(ACCOUNT, "New"),
    api.RenameFolder(ACCOUNT, "New", "Newer"),
    api.DeleteFolder(ACCOUNT, "Newer"),
    api.SubscribeFolder(ACCOUNT, "Newer", subscribe=False),
    api.FolderUids(ACCOUNT, "INBOX", "unseen"),
    api.ExpungeMessages(ACCOUNT, "Trash", (1,)),
    api.SyncAll(ACCOUNT),
]
#: Run by the service's search pool, not by an account worker.
SERVICE_COMMANDS = {api.SearchMessages}


def test_every_command_class_is_in_the_union_the_handlers_match_over() -> None:
    assert all_command_classes() == set(COMMAND_TYPES)
    assert all_command_classes() == {type(c) for c in EXAMPLES} | SERVICE_COMMANDS


@pytest.mark.parametrize("command", EXAMPLES, ids=lambda c: type(c).__name__)
def test_each_command_is_handled_with_the_result_type_it_names(
    command: api.Command[Any], cache: MailCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(handlers_module, "FolderSync", FakeSync)
    events: list[api.BackendEvent] = []
    handlers = CommandHandlers(make_context(cache, FakeSession({1: RAW}), events, Deferred()))
    result = handlers.run(command)
    assert conforms(result, declared_result(type(command))), (
        result,
        declared_result(type(command)),
    )


def test_a_command_the_worker_does_not_run_fails_its_future_with_a_mail_error(
    cache: MailCache,
) -> None:
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class Unknown(api.Command[None]):
        pass

    handlers = CommandHandlers(make_context(cache, FakeSession(), [], Deferred()))
    with pytest.raises(MailError, match="unknown command"):
        handlers.run(Unknown(ACCOUNT))
    with pytest.raises(MailError, match="unknown command"):
        handlers.run(api.SearchMessages(ACCOUNT, "INBOX", "x"))


def test_a_fetched_body_is_cached_then_indexed_for_search(cache: MailCache) -> None:
    cache.add_summaries("INBOX", [MessageSummary(ACCOUNT, "INBOX", 1, subject="Figures")])
    session = FakeSession({1: RAW})
    later = Deferred()
    handlers = CommandHandlers(make_context(cache, session, [], later))

    assert handlers.run(api.FetchBody(ACCOUNT, "INBOX", 1)) == RAW
    assert cache.body("INBOX", 1) == RAW
    assert ("fetch", ((1,), ("BODY.PEEK[]",))) in session.calls  # PEEK: never marks read
    assert text_hits(cache, "INBOX", "zebrafigures") == []  # indexed after answering
    later.run_all()
    assert text_hits(cache, "INBOX", "zebrafigures") == [1]

    session.calls.clear()
    assert handlers.run(api.FetchBody(ACCOUNT, "INBOX", 1)) == RAW  # from the cache
    assert session.calls == []


def test_a_body_gone_from_the_server_is_not_found(cache: MailCache) -> None:
    handlers = CommandHandlers(make_context(cache, FakeSession(), [], Deferred()))
    with pytest.raises(NotFound):
        handlers.run(api.FetchBody(ACCOUNT, "INBOX", 9))


def test_the_indexer_fetches_through_the_same_function_and_indexes(
    cache: MailCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tui_mail.backend.account import bodies, indexer

    cache.add_summaries("INBOX", [MessageSummary(ACCOUNT, "INBOX", 1, subject="Figures")])
    cache.set_folder_state("INBOX", FolderState(1, 2, 0))  # synced: the indexer need not sync
    fetched: list[Sequence[int]] = []
    real = bodies.fetch_bodies

    def spy(session: Any, folder: str, uids: Sequence[int]) -> dict[int, bytes]:
        fetched.append(tuple(uids))
        return real(session, folder, uids)

    monkeypatch.setattr(indexer, "fetch_bodies", spy)
    events: list[api.BackendEvent] = []
    synced: list[str] = []

    def sync_folder(name: str) -> None:  # the worker passes its SyncFolder handler
        synced.append(name)
        cache.set_folder_state(name, FolderState(1, 1, 0))

    body_indexer = BodyIndexer(
        make_context(cache, FakeSession({1: RAW}), events, Deferred()), sync_folder
    )
    body_indexer.arm()
    for _ in range(10):  # bounded: a bug must fail the test, not hang it
        if not body_indexer.armed:
            break
        body_indexer.step()
    assert not body_indexer.armed
    assert synced == ["Trash"]
    assert fetched == [(1,)]
    assert cache.body("INBOX", 1) == RAW
    assert text_hits(cache, "INBOX", "zebrafigures") == [1]
    assert isinstance(events[-1], api.IndexProgress) and events[-1].finished


def source_of(folder: str) -> dict[str, str]:
    root = REPO / "tui_mail" / "backend" / folder
    return {path.name: path.read_text() for path in sorted(root.glob("*.py"))}


def test_bodies_are_fetched_and_counts_announced_in_one_place_each() -> None:
    """Written twice before (handlers and indexer; handlers and sync), they drifted apart."""
    sources = source_of("account")
    assert [name for name, text in sources.items() if '"BODY.PEEK[]"' in text] == ["bodies.py"]
    announcing = [name for name, text in sources.items() if "FolderCountsChanged(" in text]
    assert announcing == ["sync.py"]
    assert sources["sync.py"].count("FolderCountsChanged(") == 1


def test_set_flags_and_moves_announce_fresh_counts(
    cache: MailCache,
) -> None:
    cache.add_summaries(
        "INBOX", [MessageSummary(ACCOUNT, "INBOX", 1), MessageSummary(ACCOUNT, "INBOX", 2)]
    )
    events: list[api.BackendEvent] = []
    handlers = CommandHandlers(make_context(cache, FakeSession(), events, Deferred()))
    handlers.run(api.SetFlags(ACCOUNT, "INBOX", (1,), ("\\Seen",)))
    assert events[-1] == api.FolderCountsChanged(ACCOUNT, "INBOX", 2, 1)
    handlers.run(api.MoveMessages(ACCOUNT, "INBOX", (2,), "Archive"))
    assert events[-1] == api.FolderCountsChanged(ACCOUNT, "INBOX", 1, 0)
