"""The clients the benchmark runs, each as a recipe: command, environment, key steps.

A :class:`Client` knows how to write its own config for one server and one
cache directory (a fresh directory = cold cache, the previous run's = warm)
and which screen text proves each step happened. Keys are tmux key names.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from bench.corpus import MARKERS
from bench.dovecot import PASSWORD, USER
from bench.floor_app import READY_TEXT
from bench.search import QUERY, has_search

REPO_ROOT = Path(__file__).resolve().parent.parent
TYPING_STEP_PREFIX = "search_letter_"
"""Steps of the search query's letters, one key each (the report folds them into one column)."""
MULTI_KEY_STEPS = frozenset({"search"})
"""Steps that send several keys: not counted in the costliest single key."""
PASSWORD_ENV = "TUI_MAIL_BENCH_PASSWORD"


@dataclass(frozen=True)
class Step:
    """One timed action: send ``keys``, then wait until ``expect`` shows, or ``gone`` has
    left the screen (neither: until anything changes).

    ``untimed`` steps only move the client to where the next step starts.
    """

    name: str
    keys: tuple[str, ...]
    expect: str | None = None
    gone: str | None = None
    literal: bool = False
    untimed: bool = False
    timeout: float = 10.0


@dataclass(frozen=True)
class Launch:
    """How to start one run of a client."""

    argv: list[str]
    env: dict[str, str]


@dataclass(frozen=True)
class Client:
    """A client under test."""

    name: str
    first_screen_text: str
    make_launch: Callable[[str, int, Path], Launch]
    steps: tuple[Step, ...] = ()
    quit_keys: tuple[str, ...] = ("q",)
    has_cache: bool = True
    error_texts: tuple[str, ...] = ()
    """Screen text that means the client failed (stop waiting, record the screen)."""
    ui_on_main_thread: bool = True
    """Per-key CPU is the main thread's (Textual's loop, neomutt); False: every thread's."""


def _floor_launch(_host: str, _port: int, _cache: Path) -> Launch:
    return Launch([sys.executable, str(REPO_ROOT / "bench" / "floor_app.py")], {})


FLOOR = Client("floor", READY_TEXT, _floor_launch, has_cache=False)


def tui_mail_argv() -> list[str]:
    """The installed ``tui-mail`` script next to this Python, else ``python -m tui_mail``."""
    script = Path(sys.executable).with_name("tui-mail")
    return [str(script)] if script.exists() else [sys.executable, "-m", "tui_mail"]


def _tui_mail_launch(host: str, port: int, cache: Path) -> Launch:
    config = cache.parent / f"{cache.name}-tui-mail.toml"
    config.write_text(
        "[accounts.bench]\n"
        f'email = "{USER}@example.org"\n'
        "[accounts.bench.imap]\n"
        f'host = "{host}"\nport = {port}\nsecurity = "none"\n'
        f'username = "{USER}"\npassword_env = "{PASSWORD_ENV}"\n'
    )
    config.chmod(0o600)
    env = {
        PASSWORD_ENV: PASSWORD,
        "TUI_MAIL_CACHE_DIR": str(cache / "cache"),
        "TUI_MAIL_STATE_DIR": str(cache / "state"),
        "TUI_MAIL_LOG_DIR": str(cache / "log"),
    }
    return Launch([*tui_mail_argv(), "--config", str(config)], env)


#: tui-mail's keys (tui_mail/ui/keymap.py). The preview follows the list cursor, so
#: the newest body may show before Enter (then "open" only moves focus to the preview);
#: "next message" (j) is the real open-from-cache time: the next body is prefetched.
TUI_MAIL_STEPS = (
    Step("open_newest", ("Enter",), MARKERS.newest_body),
    Step("back_to_list", ("Escape",), untimed=True),
    Step("next_message", ("j",), MARKERS.second_body),
    # The cursor (on the second message) jumps a page, scrolling the newest row out of
    # the list; "any change" would also fire on the status bar's sync counter.
    Step("page_down", ("PageDown",), gone=MARKERS.newest_subject),
    Step("jump_to_end", ("G",), MARKERS.oldest_subject),
)

TUI_MAIL = Client(
    "tui-mail",
    MARKERS.newest_subject,
    _tui_mail_launch,
    TUI_MAIL_STEPS,
    # The app's error dialog (ui/screens/dialogs.py) and Textual's crash report.
    error_texts=("Something went wrong", "Traceback (most recent call last)"),
)


def _neomutt_launch(host: str, port: int, cache: Path) -> Launch:
    config = cache.parent / f"{cache.name}-neomuttrc"
    (cache / "headers").mkdir(parents=True, exist_ok=True)
    (cache / "bodies").mkdir(parents=True, exist_ok=True)
    config.write_text(
        f'set folder="imap://{USER}@{host}:{port}/"\n'
        'set spoolfile="+INBOX"\n'
        f'set imap_user="{USER}"\nset imap_pass="{PASSWORD}"\n'
        "set ssl_starttls=no\nset ssl_force_tls=no\n"
        f'set header_cache="{cache / "headers"}/"\n'
        f'set message_cachedir="{cache / "bodies"}"\n'
        # Newest first, like tui-mail; the cursor starts on the (unread) newest marker.
        "set sort=reverse-date\nset quit=yes\nset mark_old=no\nset wait_key=no\n"
        "set mail_check_stats=no\nset imap_check_subscribed=no\nset sidebar_visible=no\n"
    )
    config.chmod(0o600)
    return Launch(["neomutt", "-n", "-F", str(config)], {"HOME": str(cache)})


NEOMUTT_STEPS = (
    # An earlier run read the newest marker, so the cursor may start on another unread one.
    Step("to_newest", ("Home",), untimed=True),
    Step("open_newest", ("Enter",), MARKERS.newest_body),
    Step("back_to_index", ("q",), MARKERS.newest_subject, untimed=True),
    Step("next_message", ("j", "Enter"), MARKERS.second_body),
    Step("back_to_index_again", ("q",), MARKERS.second_subject, untimed=True),
    Step("page_down", ("PageDown",), gone=MARKERS.newest_subject),
    Step("jump_to_end", ("End",), MARKERS.oldest_subject),
)

NEOMUTT = Client("neomutt", MARKERS.newest_subject, _neomutt_launch, NEOMUTT_STEPS)


def _aerc_launch(host: str, port: int, cache: Path) -> Launch:
    """aerc with one account; its header cache (``cache-headers``) lives under ``cache``,
    so a fresh directory is a cold start and the previous run's a warm one."""
    config = cache / "config" / "aerc"
    config.mkdir(parents=True, exist_ok=True)
    accounts = config / "accounts.conf"
    accounts.write_text(
        "[bench]\n"
        f"source = imap+insecure://{USER}:{PASSWORD}@{host}:{port}\n"
        "outgoing = /bin/true\ndefault = INBOX\n"
        f"from = Bench <{USER}@example.org>\ncache-headers = true\n"
    )
    accounts.chmod(0o600)  # aerc refuses a readable accounts.conf
    # text/plain through cat: without a filter aerc's viewer shows a menu, not the body.
    (config / "aerc.conf").write_text("[filters]\ntext/plain = cat\n")
    env = {
        "HOME": str(cache),
        "XDG_CONFIG_HOME": str(cache / "config"),
        "XDG_CACHE_HOME": str(cache / "cache"),
    }
    return Launch(["aerc"], env)


#: aerc's default keys: Enter opens, q closes the viewer, j/k move, PgDn a page, G the end.
AERC_STEPS = (
    Step("to_newest", ("g",), untimed=True),
    Step("open_newest", ("Enter",), MARKERS.newest_body),
    Step("back_to_list", ("q",), MARKERS.newest_subject, untimed=True),
    Step("next_message", ("j", "Enter"), MARKERS.second_body),
    Step("back_to_list_again", ("q",), MARKERS.second_subject, untimed=True),
    Step("page_down", ("PageDown",), gone=MARKERS.newest_subject),
    Step("jump_to_end", ("G",), MARKERS.oldest_subject),
)

AERC = Client(
    "aerc",
    MARKERS.newest_subject,
    _aerc_launch,
    AERC_STEPS,
    error_texts=("panic:",),
    ui_on_main_thread=False,  # Go: the UI's goroutines run on any thread
)


#: After the other steps the cursor is on the oldest message, so the newest subject
#: shows again only once the search has found it.
#: "search" types the whole query at once and times it until the newest message is
#: listed (the cursor was on the oldest): search-as-you-type latency. Then every key
#: is timed alone for its event-loop CPU: ``/`` until the bar shows, each letter until
#: the screen changes (the bar echoes it), Escape until the folder is back.
TUI_MAIL_SEARCH_STEPS = (
    Step("search_open", ("/",), "Search:"),
    Step("search", (QUERY,), MARKERS.newest_subject, literal=True),
    Step("search_close", ("Escape",), MARKERS.oldest_subject),
    Step("search_again", ("/",), "Search:", untimed=True),
    *(
        Step(f"{TYPING_STEP_PREFIX}{number}", (letter,), literal=True)
        for number, letter in enumerate(QUERY, start=1)
    ),
    Step("search_leave", ("Escape",), MARKERS.oldest_subject, untimed=True),
)


def available_clients(include_neomutt: bool = True, include_aerc: bool = True) -> list[Client]:
    """The floor and tui-mail always (with search steps once it has search); neomutt
    and aerc when they are installed."""
    tui_mail = TUI_MAIL
    if has_search():
        tui_mail = replace(TUI_MAIL, steps=TUI_MAIL_STEPS + TUI_MAIL_SEARCH_STEPS)
    clients = [FLOOR, tui_mail]
    if include_neomutt and shutil.which("neomutt"):
        clients.append(NEOMUTT)
    if include_aerc and shutil.which("aerc"):
        clients.append(AERC)
    return clients
