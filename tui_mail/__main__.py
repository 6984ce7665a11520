"""The ``tui-mail`` command line: run the app, the demo, ``check``, ``show``, ``setup``.

Exit codes: 0 success; 1 a runtime failure (``check`` found a problem, ``show``
could not render); 2 a user error (bad or missing config, unknown account, bad
arguments). A user error is one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from tui_mail import __version__, paths
from tui_mail.config import Config, load_config
from tui_mail.errors import ConfigError, MailError

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
SHOW_MAX_BYTES = 64 * 1024 * 1024


class UserError(Exception):
    """A mistake the user can fix; printed as one line, exit code 2."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (subcommands: check, show, setup; none = run the app)."""
    parser = argparse.ArgumentParser(
        prog="tui-mail", description="A keyboard-driven terminal email client."
    )
    parser.add_argument("--version", action="version", version=f"tui-mail {__version__}")
    parser.add_argument("--config", metavar="PATH", help="config file (default: see README)")
    parser.add_argument("--account", metavar="NAME", help="account to open (default: the first)")
    parser.add_argument(
        "--demo", action="store_true", help="run on a local demo IMAP/SMTP server with sample mail"
    )
    sub = parser.add_subparsers(dest="command")
    check = sub.add_parser("check", help="test the IMAP and SMTP settings of an account")
    check.add_argument("--account", dest="check_account", metavar="NAME")
    show = sub.add_parser("show", help="print a message file as the preview renders it")
    show.add_argument("file", type=Path, help="an RFC 5322 message (.eml)")
    show.add_argument("--width", type=int, default=0, help="wrap width (default: terminal)")
    show.add_argument("--headers", action="store_true", help="print all headers")
    setup = sub.add_parser("setup", help="set up an account (added to the config if there is one)")
    setup.add_argument(
        "--example", action="store_true", help="write the commented example config to edit instead"
    )
    login = sub.add_parser("login", help="sign in to an OAuth2 account (Gmail, Microsoft 365)")
    login.add_argument("--account", dest="login_account", metavar="NAME")
    login.add_argument("--flow", choices=("auto", "loopback", "device", "paste"), default=None)
    return parser


def _load(args: argparse.Namespace) -> Config:
    path = paths.config_path(args.config)
    if not path.exists():
        if args.config:
            raise UserError(f"{path}: no such config file")
        raise UserError(
            f"no config file at {path} (also looked at $TUI_MAIL_CONFIG and $XDG_CONFIG_HOME). "
            "Run `tui-mail setup` to set up an account, or try `tui-mail --demo`."
        )
    try:
        config = load_config(path)
        config.account(args.account)
    except ConfigError as exc:
        raise UserError(str(exc)) from None
    return config


def _setup_logging() -> None:
    try:
        log_file = paths.log_dir() / "tui-mail.log"
        logging.basicConfig(
            filename=log_file,
            level=os.environ.get("TUI_MAIL_LOG_LEVEL", "INFO"),
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )
    except OSError:
        logging.basicConfig(level=logging.WARNING, stream=sys.stderr)


def run_app(config: Config, account: str | None) -> int:
    """Run the Textual app on ``config`` until the user quits."""
    from tui_mail.app import TuiMailApp
    from tui_mail.backend import MailServiceImpl
    from tui_mail.memory import limit_allocator_retention

    limit_allocator_retention()
    app = TuiMailApp(config, lambda listener: MailServiceImpl(config, listener), account=account)
    app.run()
    return int(app.return_code or 0)


def run_demo(account: str | None) -> int:
    """Start the local demo servers, run the app on them, stop them on any exit."""
    from datetime import UTC, datetime

    from tui_mail.demo import demo_session

    # Sample mail dated relative to today, so the list shows "today", "this year" and older.
    with demo_session(now=datetime.now(UTC)) as demo:
        os.environ.update(demo.env)
        config = load_config(demo.config_path)
        return run_app(config, account)


def run_show(file: Path, width: int, headers: bool) -> int:
    """Print a message file as the preview renders it; 1 with one line on failure.

    Signatures are verified and encrypted parts decrypted with the user's gpg
    (``$GNUPGHOME`` honoured); the status line is printed above the body.
    """
    from tui_mail.backend.gpg import GnuPG
    from tui_mail.mail.render import render_to_plain

    try:
        with file.open("rb") as handle:
            raw = handle.read(SHOW_MAX_BYTES + 1)
    except OSError as exc:
        print(f"tui-mail show: {file}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAILURE
    if len(raw) > SHOW_MAX_BYTES:
        print(f"tui-mail show: {file}: larger than {SHOW_MAX_BYTES // 2**20} MB", file=sys.stderr)
        return EXIT_FAILURE
    if width <= 0:
        width = shutil.get_terminal_size((80, 24)).columns if sys.stdout.isatty() else 80
    try:
        text = render_to_plain(raw, width=max(width, 20), all_headers=headers, gpg=GnuPG())
    except MailError as exc:
        print(f"tui-mail show: {file}: {exc.summary}", file=sys.stderr)
        return EXIT_FAILURE
    sys.stdout.buffer.write(text.encode("utf-8", "replace"))
    if not text.endswith("\n"):
        sys.stdout.buffer.write(b"\n")
    sys.stdout.flush()
    return EXIT_OK


def run_setup_screen(config_arg: str | None) -> int:
    """The setup screen; then the mailbox opens on the account it added (0 if cancelled)."""
    from tui_mail.ui.setup.app import SetupApp

    target = paths.config_path(config_arg)
    written = SetupApp(target).run()
    if written is None:
        print("tui-mail: setup cancelled; nothing was written.")
        return EXIT_OK
    config = load_config(written)
    return run_app(config, list(config.accounts)[-1])


def run_setup(config_arg: str | None) -> int:
    """Write the commented example config where tui-mail looks for it."""
    target = paths.config_path(config_arg)
    if target.exists():
        raise UserError(f"{target} exists already; edit it, or move it away first")
    from importlib import resources

    example = resources.files("tui_mail").joinpath("config.example.toml").read_text("utf-8")
    paths.write_private_file(target, example)
    print(f"Wrote {target} (mode 0600). Edit the account in it, then run `tui-mail check`.")
    return EXIT_OK


def run_check(config: Config, account: str | None) -> int:
    """Connect as the app would and print a report; 0 when all works."""
    from tui_mail.backend.check import run_check as check

    return check(config, account, sys.stdout)


def run_login(config: Config, account: str | None, flow: str | None) -> int:
    """Run the OAuth2 sign-in in the terminal and store the refresh token; 0 when signed in."""
    from tui_mail.backend.auth.login import sign_in

    chosen = config.account(account)
    if chosen.oauth2 is None:
        raise UserError(
            f"account {chosen.name} does not sign in with OAuth2: set auth = \"xoauth2\" on "
            f"its [imap] and add an [accounts.{chosen.name}.oauth2] table (see the README)"
        )

    def show(text: str) -> None:
        print(text, flush=True)

    try:
        done = sign_in(chosen, show, input, flow=flow)
    except MailError as exc:  # the provider's error and error_description, never a token
        print(f"tui-mail login: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except EOFError:
        print("tui-mail login: no address was pasted", file=sys.stderr)
        return EXIT_FAILURE
    where = "the keyring" if done.source == "keyring" else "a 0600 file under the state dir"
    print(f"Signed in to {chosen.name} ({done.flow} flow); the refresh token is kept in {where}.")
    if done.source == "file":
        print("note: no keyring backend on this machine, so the token is in a file.")
    return EXIT_OK


def dispatch(args: argparse.Namespace) -> int:
    """Run what the arguments ask for."""
    if args.command == "show":
        return run_show(args.file, args.width, args.headers)
    if args.command == "setup":
        return run_setup(args.config) if args.example else run_setup_screen(args.config)
    if args.demo:
        return run_demo(args.account)
    if args.command is None and not args.config and not paths.config_path().exists():
        return run_setup_screen(None)  # the first run: no config at the default path
    config = _load(args)
    if args.command == "check":
        return run_check(config, args.check_account or args.account)
    if args.command == "login":
        return run_login(config, args.login_account or args.account, args.flow)
    return run_app(config, args.account)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script and ``python -m tui_mail``."""
    args = build_parser().parse_args(argv)
    _setup_logging()
    try:
        return dispatch(args)
    except UserError as exc:
        print(f"tui-mail: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ConfigError as exc:
        print(f"tui-mail: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # A pager closed early (`tui-mail show x.eml | head`): not an error.
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
