"""The new-mail notifier (issue 21 item 4): what it runs, for which mail, how often."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from tui_mail.backend.api import FolderCountsChanged, NewMailArrived
from tui_mail.backend.imap.folder_watch import notified_folders
from tui_mail.backend.new_mail import NewMailNotifier, merged, notify_send_argv, run_command
from tui_mail.config import Config, parse_config
from tui_mail.models import Address, MessageSummary

CONFIG = """
[general]
{general}
[accounts.work]
email = "me@example.org"
notify_folders = ["INBOX", "Lists/python"]
[accounts.work.imap]
host = "imap.example.org"
"""


def config(general: str = "") -> Config:
    return parse_config(CONFIG.format(general=general), Path("config.toml"))


def summary(uid: int, subject: str, name: str = "Alice", folder: str = "INBOX") -> MessageSummary:
    return MessageSummary(
        "work", folder, uid, from_=(Address(name, "alice@example.org"),), subject=subject
    )


def arrived(folder: str, *summaries: MessageSummary) -> NewMailArrived:
    return NewMailArrived("work", folder, len(summaries), summaries)


class Recorder:
    def __init__(self) -> None:
        self.runs: list[list[str]] = []
        self.ran = threading.Event()

    def __call__(self, argv: Sequence[str], timeout: float) -> None:
        self.runs.append(list(argv))
        self.ran.set()


def notifier(general: str, recorder: Recorder, which: str | None = None) -> NewMailNotifier:
    return NewMailNotifier(
        config(general), batch_delay=0.2, which=lambda _name: which, runner=recorder
    )


def test_a_burst_across_events_is_one_notice_per_folder_naming_the_newest():
    recorder = Recorder()
    chosen = notifier('new_mail_command = ["n", "{from}", "{subject}", "{count}"]', recorder)
    chosen.offer(arrived("INBOX", summary(5, "older")))
    chosen.offer(arrived("INBOX", summary(9, "newest", "Bob"), summary(8, "middle")))
    assert recorder.ran.wait(3)
    time.sleep(0.3)
    assert recorder.runs == [["n", "Bob", "3 new messages; newest: newest", "3"]]


def test_only_the_listed_folders_and_only_new_mail_events_are_announced():
    recorder = Recorder()
    chosen = notifier('new_mail_command = ["n", "{folder}"]', recorder)
    chosen.offer(arrived("Archive", summary(1, "filed", folder="Archive")))
    chosen.offer(FolderCountsChanged("work", "INBOX", 3, 1))
    chosen.offer(arrived("Lists/python", summary(2, "list mail", folder="Lists/python")))
    assert recorder.ran.wait(3)
    time.sleep(0.3)
    assert recorder.runs == [["n", "Lists/python"]]


def test_notify_send_is_used_without_a_command_and_its_markup_is_escaped():
    recorder = Recorder()
    chosen = notifier("", recorder, which="/usr/bin/notify-send")
    chosen.offer(arrived("INBOX", summary(1, "<b>win</b> & -rf", "Eve <script>")))
    assert recorder.ran.wait(3)
    (argv,) = recorder.runs
    assert argv[:3] == ["/usr/bin/notify-send", "--app-name=tui-mail", "--"]
    assert argv[4] == "Eve &lt;script&gt;: &lt;b&gt;win&lt;/b&gt; &amp; -rf"


def test_nothing_runs_without_notify_send_or_a_command_or_when_switched_off():
    recorder = Recorder()
    assert not notifier("", recorder, which=None).enabled
    assert not notifier("new_mail_notify = false", recorder, which="/usr/bin/notify-send").enabled


def test_merging_keeps_folders_apart():
    notices = merged([arrived("INBOX", summary(1, "a")), arrived("Lists/python", summary(2, "b"))])
    assert [(n.folder, n.count, n.subject) for n in notices] == [
        ("INBOX", 1, "a"),
        ("Lists/python", 1, "b"),
    ]


def test_a_command_that_hangs_is_killed_after_its_timeout(tmp_path: Path):
    started = time.monotonic()
    try:
        run_command([sys.executable, "-c", "import time; time.sleep(30)"], 0.5)
    except subprocess.TimeoutExpired:
        pass
    assert time.monotonic() - started < 5


def test_notify_send_argv_puts_a_leading_dash_subject_after_the_end_of_options():
    from tui_mail.backend.new_mail import Notice

    argv = notify_send_argv("notify-send", Notice("work", "INBOX", 1, "", "--help"))
    assert argv.index("--") < argv.index("--help")


def test_notify_status_lines_name_the_other_folders_once_each():
    responses = [
        (b"STATUS", b"Archive", (b"MESSAGES", 1)),
        (3, b"EXISTS"),
        (b"STATUS", b"INBOX", (b"MESSAGES", 4)),
        (b"STATUS", b"Archive", (b"MESSAGES", 2)),
        (b"STATUS", b"&AMk-t&AOk-", (b"MESSAGES", 1)),
    ]
    assert notified_folders(responses, "INBOX") == ["Archive", "\u00c9t\u00e9"]
