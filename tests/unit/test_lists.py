"""Mailing-list headers and the drafts they lead to (mail/lists.py), from parsed bytes."""

from __future__ import annotations

from dataclasses import dataclass

from tui_mail.mail.lists import (
    list_headers,
    list_reply_draft,
    unsubscribe_draft,
    without_list_copies,
)
from tui_mail.mail.parse import parse_message
from tui_mail.mail.quoting import reply_draft
from tui_mail.mail.render import render_message
from tui_mail.models import Address


@dataclass(frozen=True)
class _Account:
    name: str = "work"
    email: str = "me@example.org"
    display_name: str = "Me"
    identities: tuple[()] = ()


ACCOUNT = _Account()


def message(*extra: str, to: str = "Ada <ada@example.org>", cc: str = "") -> bytes:
    head = [
        "From: Grace <grace@example.org>",
        f"To: {to}",
        *([f"Cc: {cc}"] if cc else []),
        "Subject: [py] Packaging",
        "Message-ID: <l1@lists.example.org>",
        "Date: Mon, 02 Mar 2026 09:00:00 +0000",
        *extra,
    ]
    return ("\r\n".join(head) + "\r\n\r\nHello list.\r\n").encode()


LIST_POST = "List-Post: <mailto:python-list@lists.example.org>"


def test_list_reply_goes_to_list_post_not_to_from_or_to() -> None:
    body = parse_message(message(LIST_POST, "List-Id: Python users <python.lists.example.org>"))
    draft = list_reply_draft(body, account=ACCOUNT, original_ref=("INBOX", 3))
    assert draft is not None
    assert draft.to == [Address("", "python-list@lists.example.org")] and draft.cc == []
    assert draft.subject == "Re: [py] Packaging"
    assert draft.in_reply_to == "<l1@lists.example.org>"
    assert draft.reply_kind == "reply" and draft.original == ("INBOX", 3)
    assert "> Hello list." in draft.body


def test_list_reply_falls_back_to_mail_followup_to_then_gives_up() -> None:
    followup = "Mail-Followup-To: grace@example.org, py@lists.example.org, me@example.org"
    draft = list_reply_draft(parse_message(message(followup)), account=ACCOUNT)
    assert draft is not None
    assert [a.email for a in draft.to] == ["grace@example.org", "py@lists.example.org"]
    assert list_reply_draft(parse_message(message("List-Post: NO")), account=ACCOUNT) is None
    assert list_reply_draft(parse_message(message()), account=ACCOUNT) is None
    assert not list_headers(parse_message(message())).is_list


def test_reply_all_sends_one_copy_each() -> None:
    listy = message(
        LIST_POST,
        "Reply-To: python-list@lists.example.org",
        to="Python-List@Lists.Example.org",
        cc="python-list@lists.example.org, me@example.org, bob@example.net",
    )
    body = parse_message(listy)
    draft = without_list_copies(
        reply_draft(body, account=ACCOUNT, reply_all=True), body, account=ACCOUNT
    )
    every = [a.email.lower() for a in [*draft.to, *draft.cc]]
    assert every.count("python-list@lists.example.org") == 1
    assert "me@example.org" not in every and "bob@example.net" in every
    # Mail-Followup-To: the author's own list of who gets it; no private copies.
    followup = parse_message(message(LIST_POST, "Mail-Followup-To: python-list@lists.example.org"))
    draft = without_list_copies(
        reply_draft(followup, account=ACCOUNT, reply_all=True), followup, account=ACCOUNT
    )
    assert [a.email for a in draft.to] == ["python-list@lists.example.org"] and draft.cc == []


def test_unsubscribe_ways_are_read_and_one_click_needs_https() -> None:
    headers = (
        "List-Unsubscribe: <mailto:leave@lists.example.org?subject=bye%20now>,\r\n"
        " <http://plain.example.org/u>, <https://lists.example.org/u?id=7>",
        "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
    )
    info = list_headers(parse_message(message(*headers)))
    assert info.unsubscribe_https == "https://lists.example.org/u?id=7" and info.one_click
    assert info.unsubscribe_mailto is not None
    assert info.unsubscribe_mailto.to == (Address("", "leave@lists.example.org"),)
    draft = unsubscribe_draft(parse_message(message(*headers)), account=ACCOUNT)
    assert draft is not None and draft.subject == "bye now"
    assert [a.email for a in draft.to] == ["leave@lists.example.org"]
    http_only = "List-Unsubscribe: <http://plain.example.org/u>"
    info = list_headers(
        parse_message(message(http_only, "List-Unsubscribe-Post: List-Unsubscribe=One-Click"))
    )
    assert not info.one_click and info.unsubscribe_https == ""
    assert unsubscribe_draft(parse_message(message()), account=ACCOUNT) is None


def test_list_name_in_the_preview_header_is_sanitised() -> None:
    hostile = "List-Id: =?utf-8?q?Evil=1B[2J_[bold]list[/]=E2=80=AE?= <evil.example.org>"
    body = parse_message(message(hostile))
    lines = dict(render_message(body).header_lines)
    assert "\x1b" not in lines["List"] and "\u202e" not in lines["List"]
    assert "[bold]list[/]" in lines["List"] and "<evil.example.org>" in lines["List"]
    assert "List" not in dict(render_message(parse_message(message())).header_lines)
