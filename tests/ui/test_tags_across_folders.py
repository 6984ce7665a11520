"""Tags and bulk actions name messages by (account, folder, UID) (#21 item 6).

In a search over all folders the hits come from several folders whose UIDs
repeat. Here INBOX and Archive both hold UIDs 1-5; the "zebra" hits are INBOX 3
and Archive 2. Tagging both and acting must touch exactly those two messages,
each in its own folder (before the fix, the bare UIDs 3 and 2 went to the
cursor row's folder: the wrong messages moved). The same on a real server, with
a second IMAP connection checking every folder, is the last test.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.ui.helpers import imap_server_folder, real_app, settle, wait_until
from tests.ui.service_double import CacheBackedService, make_summary
from tui_mail.models import FLAGGED, SEEN
from tui_mail.ui.selection import MessageKey

INBOX_HIT = MessageKey("test", "INBOX", 3)
ARCHIVE_HIT = MessageKey("test", "Archive", 2)


def two_folders(double: CacheBackedService) -> None:
    for folder, hit in (("INBOX", INBOX_HIT.uid), ("Archive", ARCHIVE_HIT.uid)):
        double.add(
            folder,
            [
                make_summary(
                    uid,
                    folder=folder,
                    subject=f"{folder} zebra crossing" if uid == hit else f"{folder} note {uid}",
                    flags=frozenset({SEEN}),
                )
                for uid in range(1, 6)
            ],
        )


async def search_everywhere(pilot: Any, app: Any, word: str, hits: int) -> Any:
    """Open the search bar, widen it to all folders, type ``word``; wait for ``hits`` rows."""
    screen = app.main_screen
    await pilot.press("slash", "ctrl+t", *word)
    await wait_until(pilot, lambda: len(screen.message_list.rows) == hits)
    await settle(pilot, app)
    return screen


async def tag_all_hits(pilot: Any, screen: Any) -> set[MessageKey]:
    screen.message_list.focus()
    await pilot.pause()
    await pilot.press("g", *["t"] * len(screen.message_list.rows))
    return set(screen.message_list.tagged)


async def test_delete_of_tagged_hits_moves_exactly_those_two_to_trash(
    app_factory: Callable[..., Any],
) -> None:
    app = app_factory(two_folders)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, app)
        screen = await search_everywhere(pilot, app, "zebra", 2)
        assert await tag_all_hits(pilot, screen) == {INBOX_HIT, ARCHIVE_HIT}
        await pilot.press("d")
        assert len(screen.message_list.rows) == 0, "both hits leave the list at once"
        await settle(pilot, app)
        cache = app.double.cache
        assert cache.uids("INBOX") == [1, 2, 4, 5]
        assert cache.uids("Archive") == [1, 3, 4, 5]
        subjects = sorted(cache.summary("Trash", uid).subject for uid in cache.uids("Trash"))
        assert subjects == ["Archive zebra crossing", "INBOX zebra crossing"]
        await pilot.press("u")
        await settle(pilot, app)
        assert cache.uids("Trash") == []
        assert len(cache.uids("INBOX")) == 5 and len(cache.uids("Archive")) == 5


async def test_flagging_tagged_hits_flags_each_in_its_folder_and_undo_unflags(
    app_factory: Callable[..., Any],
) -> None:
    app = app_factory(two_folders)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, app)
        screen = await search_everywhere(pilot, app, "zebra", 2)
        await tag_all_hits(pilot, screen)
        await pilot.press("F")
        await settle(pilot, app)
        double = app.double
        flagged = {
            (folder, uid)
            for folder in ("INBOX", "Archive")
            for uid in range(1, 6)
            if FLAGGED in double.flags_of(folder, uid)
        }
        assert flagged == {("INBOX", 3), ("Archive", 2)}
        await pilot.press("u")
        await settle(pilot, app)
        assert not any(
            FLAGGED in double.flags_of(folder, uid)
            for folder in ("INBOX", "Archive")
            for uid in range(1, 6)
        )


async def test_a_tag_stays_on_its_message_when_the_view_changes(
    app_factory: Callable[..., Any],
) -> None:
    app = app_factory(two_folders)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, app)
        screen = await search_everywhere(pilot, app, "zebra", 2)
        messages = screen.message_list
        messages.focus()
        await pilot.pause()
        rows = [MessageKey.of(messages.rows.row(i).summary) for i in range(2)]
        archive_row = rows.index(ARCHIVE_HIT)
        await pilot.press("g", *["j"] * archive_row, "t")
        assert messages.tagged == {ARCHIVE_HIT}
        # A wider query: a new view where INBOX 2 (same UID, other folder) is a hit too.
        await pilot.press("g")
        await pilot.press("slash", *" OR note")  # every message is a hit now
        await wait_until(pilot, lambda: len(messages.rows) > 2)
        await settle(pilot, app)
        assert messages.tagged == {ARCHIVE_HIT}
        drawn = {
            MessageKey.of(messages.rows.row(i).summary): messages.render_line(i).text
            for i in range(len(messages.rows))
        }
        assert MessageKey("test", "INBOX", 2) in drawn, "the other folder's UID 2 is a hit now"
        assert [key for key, text in drawn.items() if text.startswith("*")] == [ARCHIVE_HIT]


# ---------------------------------------------------------------------------- a real server


def message_ids_by_folder(server: Any) -> dict[str, set[str]]:
    """Every folder's Message-IDs, read with a second, independent connection."""
    from tests.integration.backend_helpers import other_client

    client = other_client(server)
    try:
        found: dict[str, set[str]] = {}
        for flags, delimiter, name in client.list_folders():
            if any(flag.lower() in (b"\\noselect", b"\\nonexistent") for flag in flags):
                continue  # a parent that holds no mail (Lists)
            sep = delimiter.decode() if isinstance(delimiter, bytes) else (delimiter or "/")
            client.select_folder(name, readonly=True)
            uids = client.search("ALL")
            envelopes = client.fetch(uids, ["ENVELOPE"]).values() if uids else ()
            found[str(name).replace(sep, "/")] = {
                (data[b"ENVELOPE"].message_id or b"").decode() for data in envelopes
            }
        return found
    finally:
        client.logout()


def append_hit(server: Any, folder: str, message_id: str) -> None:
    from tests.integration.backend_helpers import other_client

    client = other_client(server)
    try:
        raw = (
            f"From: Zed <zed@example.org>\r\nTo: me@example.org\r\n"
            f"Subject: zebracrossing in {folder}\r\nMessage-ID: {message_id}\r\n"
            f"Date: Mon, 02 Mar 2026 09:00:00 +0000\r\n\r\nStripes.\r\n"
        ).encode()
        client.append(imap_server_folder(client, folder), raw, flags=["\\Seen"])
    finally:
        client.logout()


@pytest.mark.integration
async def test_real_delete_of_tagged_hits_from_two_folders(
    imap_server: Any, tmp_path: Path
) -> None:
    hits = {"INBOX": "<zebra-inbox@example.org>", "Archive": "<zebra-archive@example.org>"}
    for folder, message_id in hits.items():
        append_hit(imap_server, folder, message_id)
    before = message_ids_by_folder(imap_server)
    app = real_app(imap_server, tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_until(pilot, lambda: app.main_screen is not None)
        screen = app.main_screen
        inbox_size = imap_server.seeded["INBOX"] + 1
        await wait_until(pilot, lambda: len(screen.message_list.rows) == inbox_size)
        screen.open_folder("test", "Archive")  # cache Archive, so the local search finds it
        await wait_until(pilot, lambda: screen.folder == "Archive")
        await wait_until(pilot, lambda: len(screen.message_list.rows) == len(before["Archive"]))
        screen.open_folder("test", "INBOX")
        await wait_until(pilot, lambda: len(screen.message_list.rows) == inbox_size)
        await settle(pilot, app)
        await search_everywhere(pilot, app, "zebracrossing", 2)
        tagged = await tag_all_hits(pilot, screen)
        assert {key.folder for key in tagged} == {"INBOX", "Archive"}
        await pilot.press("d")

        def trashed() -> bool:
            return set(hits.values()) <= message_ids_by_folder(imap_server)["Trash"]

        await wait_until(pilot, trashed, timeout=20)
        await settle(pilot, app)
        after = message_ids_by_folder(imap_server)
        expected = {folder: ids - set(hits.values()) for folder, ids in before.items()}
        expected["Trash"] = before["Trash"] | set(hits.values())
        assert after == expected, "exactly the two hits moved, each from its own folder"


async def test_hits_of_an_all_folders_search_name_their_folder(
    app_factory: Callable[..., Any],
) -> None:
    """Which folder a hit lives in shows on its row (the same subject can be in two);
    back in the folder, rows no longer name it."""

    def same_subject_twice(double: CacheBackedService) -> None:
        for folder in ("INBOX", "Archive"):
            double.add(folder, [make_summary(1, folder=folder, subject="quarterly zebra")])

    app = app_factory(same_subject_twice)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, app)
        screen = await search_everywhere(pilot, app, "zebra", 2)
        lines = [screen.message_list.render_line(y).text for y in range(2)]
        assert sorted(line.split("quarterly")[0].split()[-1] for line in lines) == [
            "Archive",
            "INBOX",
        ]
        await pilot.press("escape")
        await wait_until(pilot, lambda: not screen.search_bar.display)
        await settle(pilot, app)
        line = screen.message_list.render_line(0).text
        assert "INBOX" not in line and "quarterly zebra" in line
