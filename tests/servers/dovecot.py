"""A private, throw-away Dovecot for the integration tests.

It never reads ``/etc/dovecot``: the whole configuration is written to a temp
dir and passed with ``-c``. Each test gets a fresh user (its own Maildir), so
tests never see each other's mail. ``stop()``/``start()`` keep ports and data,
which lets a test simulate a server outage in the middle of a sync.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

from tests.servers.tls import CertPair, make_self_signed_cert
from tui_mail.demo.processes import LOOPBACK, free_port, spawn, stop_process, wait_for_greeting

DOVECOT_BINARY = Path("/usr/sbin/dovecot")
#: The system user that owns every test Maildir (Debian's ``mail``, uid 8).
MAIL_USER = "mail"

_CONFIG_TEMPLATE = """\
# Written by tests/servers/dovecot.py; nothing is included from /etc/dovecot.
base_dir = {root}/run
state_dir = {root}/state
instance_name = tui-mail-test-{imap_port}
listen = {host}
protocols = {protocols}
default_internal_user = dovecot
default_login_user = dovenull
first_valid_uid = {uid}
last_valid_uid = {uid}
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
disable_plaintext_auth = no
# Tests log in with wrong passwords on purpose: no 2 s failure delay, and no
# per-IP auth penalty delaying the next test's first login by seconds (see anvil below).
auth_failure_delay = 0
auth_mechanisms = {mechanisms}
mail_location = maildir:~/Maildir
mail_privileged_group =
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
imap_idle_notify_interval = 1 secs

service imap-login {{
  inet_listener imap {{
    address = {host}
    port = {imap_port}
  }}
  inet_listener imaps {{
    address = {host}
    port = {imaps_port}
    ssl = yes
  }}
}}
service anvil {{
  # Dovecot's documented way to switch the auth penalty off: auth cannot reach this socket.
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
{pop3}{passdb}userdb {{
  driver = passwd-file
  args = username_format=%u {root}/users/%u.passwd
}}
namespace inbox {{
  inbox = yes
  separator = /
{mailboxes}}}
"""


_PASSWD_PASSDB = """\
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users/%u.passwd
}}
"""
#: OAuth2 only: JWT access tokens checked locally against the keys in {keys}
#: (``keys/<azp>/<alg>/<kid>``; facts of Dovecot 2.3.19: header typ exactly "JWT",
#: ``sub`` and ``exp`` required, the user name from the ``email`` claim).
_OAUTH2_PASSDB = """\
passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {root}/dovecot-oauth2.conf.ext
}}
"""
_OAUTH2_CONF = """\
introspection_mode = local
local_validation_key_dict = fs:posix:prefix={keys}/
username_attribute = email
"""

#: With ``pop3=True``: Dovecot's POP3 (Debian ``dovecot-pop3d``) on a plain port, where
#: STLS is offered (``ssl = yes``), and a POP3S port. The UIDL format is Dovecot's
#: recommended one; APOP is offered where the passdb holds plain passwords (not oauth2).
_POP3_SERVICE = """\
pop3_uidl_format = %08Xu%08Xv
service pop3-login {{
  inet_listener pop3 {{
    address = {host}
    port = {pop3_port}
  }}
  inet_listener pop3s {{
    address = {host}
    port = {pop3s_port}
    ssl = yes
  }}
}}
"""
POP3_BINARY = Path("/usr/lib/dovecot/pop3")

#: Role mailboxes of the inbox namespace: created and subscribed on first login.
SPECIAL_USE = ("Drafts", "Sent", "Archive", "Junk", "Trash")


def _mailbox_blocks() -> str:
    return "".join(
        f"  mailbox {name} {{\n    special_use = \\{name}\n    auto = subscribe\n  }}\n"
        for name in SPECIAL_USE
    )


def ensure_dovecot_installed(pop3: bool = False) -> Path:
    """Return the dovecot binary, installing ``dovecot-imapd`` (and with ``pop3``,
    ``dovecot-pop3d``) once when we are root."""
    packages = ["dovecot-imapd"] + (["dovecot-pop3d"] if pop3 else [])
    if DOVECOT_BINARY.exists() and (not pop3 or POP3_BINARY.exists()):
        return DOVECOT_BINARY
    if os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update"], check=True, capture_output=True, env=env)
        subprocess.run(
            ["apt-get", "install", "-y", *packages], check=True, capture_output=True, env=env
        )
        # The package starts the system service; ours runs privately, so stop theirs.
        subprocess.run(["service", "dovecot", "stop"], capture_output=True, env=env)
    if not DOVECOT_BINARY.exists() or (pop3 and not POP3_BINARY.exists()):
        raise RuntimeError(
            f"Dovecot is not installed; install it with `sudo apt-get install {' '.join(packages)}` "
            "(the integration tests run a private instance, they never use /etc/dovecot)"
        )
    return DOVECOT_BINARY


class DovecotServer:
    """A private Dovecot on 127.0.0.1 with plain IMAP and IMAPS ports (and with
    ``pop3=True``, plain POP3 with STLS and POP3S: ``pop3_port``, ``pop3s_port``).

    Use as a context manager, or call ``start()``/``stop()``/``close()``.
    ``stop()`` + ``start()`` keeps ports, users and mail; ``close()`` removes it all.
    """

    host = LOOPBACK

    def __init__(self, oauth2_keys: Path | None = None, pop3: bool = False) -> None:
        """``oauth2_keys``: a folder of JWT validation keys; logins are then OAuth2 only.
        ``pop3``: serve POP3 too (the same users and Maildirs)."""
        self.oauth2_keys = oauth2_keys
        self.pop3 = pop3
        self.binary = ensure_dovecot_installed(pop3)
        self.root = Path(tempfile.mkdtemp(prefix="tui-mail-dovecot-"))
        # Dovecot's processes (uid mail, dovecot, dovenull) must traverse the tree.
        self.root.chmod(0o755)
        self.imap_port = free_port()
        self.imaps_port = free_port()
        self.pop3_port = free_port() if pop3 else 0
        self.pop3s_port = free_port() if pop3 else 0
        self.cert: CertPair = make_self_signed_cert(self.root / "tls")
        self.ca_file: Path = self.cert.ca_file
        self.config_file = self.root / "dovecot.conf"
        self.log_file = self.root / "dovecot.log"
        # One passwd-file per user: Dovecot re-reads a changed passwd-file at most
        # once a second, but opens a file it has not seen yet at once.
        self.passwd_dir = self.root / "users"
        self.passwd_dir.mkdir(mode=0o755)
        self.homes = self.root / "homes"
        self.homes.mkdir(mode=0o755)
        self._mail_uid = pwd.getpwnam(MAIL_USER).pw_uid
        self._mail_gid = pwd.getpwnam(MAIL_USER).pw_gid
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._write_config()

    def _write_config(self) -> None:
        for sub in ("run", "state"):
            (self.root / sub).mkdir(mode=0o755, exist_ok=True)
        if self.oauth2_keys is not None:
            mechanisms, passdb = "xoauth2 oauthbearer", _OAUTH2_PASSDB.format(root=self.root)
            (self.root / "dovecot-oauth2.conf.ext").write_text(
                _OAUTH2_CONF.format(keys=self.oauth2_keys)
            )
        else:
            mechanisms, passdb = "plain login", _PASSWD_PASSDB.format(root=self.root)
        pop3 = ""
        if self.pop3:
            if self.oauth2_keys is None:  # APOP needs the plain passwords an oauth2 passdb lacks
                mechanisms += " apop"
            pop3 = _POP3_SERVICE.format(
                host=self.host, pop3_port=self.pop3_port, pop3s_port=self.pop3s_port
            )
        self.config_file.write_text(
            _CONFIG_TEMPLATE.format(
                protocols="imap pop3" if self.pop3 else "imap",
                pop3=pop3,
                mechanisms=mechanisms,
                passdb=passdb,
                root=self.root,
                host=self.host,
                imap_port=self.imap_port,
                imaps_port=self.imaps_port,
                uid=self._mail_uid,
                cert=self.cert.cert_file,
                key=self.cert.key_file,
                mailboxes=_mailbox_blocks(),
            )
        )

    def _write_passwd(self, name: str, password: str) -> None:
        line = (
            f"{name}:{{PLAIN}}{password}:{self._mail_uid}:{self._mail_gid}::{self.homes / name}::\n"
        )
        # Written then renamed so Dovecot never reads half a file.
        target = self.passwd_dir / f"{name}.passwd"
        tmp = target.with_suffix(".tmp")
        tmp.write_text(line)
        os.chown(tmp, pwd.getpwnam("dovecot").pw_uid, -1)
        tmp.chmod(0o600)
        tmp.replace(target)

    @property
    def running(self) -> bool:
        """True while the master process is alive."""
        return self._process is not None and self._process.poll() is None

    def start(self, timeout: float = 15.0) -> None:
        """Start the master (foreground child) and wait for the IMAP greeting."""
        if self.running:
            return
        self._process = spawn([str(self.binary), "-F", "-c", str(self.config_file)], self.log_file)
        try:
            wait_for_greeting(self.host, self.imap_port, timeout, self._process)
        except RuntimeError as exc:
            self.stop()
            raise RuntimeError(f"Dovecot did not start: {exc}\n{self.log_tail()}") from exc

    def stop(self) -> None:
        """Stop the master and its children; ports, users and mail stay."""
        if self._process is not None:
            stop_process(self._process)
            self._process = None

    def close(self, background: bool = False) -> None:
        """Stop and delete the temp dir with all mail.

        ``background=True`` leaves the deletion to a detached ``rm -rf``: after a
        full test run the Maildirs hold tens of thousands of files (12 s to delete).
        """
        self.stop()
        if background and shutil.which("rm"):
            subprocess.Popen(
                ["rm", "-rf", "--", str(self.root)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        else:
            shutil.rmtree(self.root, ignore_errors=True)

    def add_user(self, name: str, password: str) -> Path:
        """Create (or reset) a user with an empty Maildir; returns the Maildir path.

        Use a new name per test: re-adding a name within the same second may
        leave Dovecot with the previous password for a moment.
        """
        if not name or not all(c.isalnum() or c in "._-" for c in name):
            raise ValueError(f"unsafe user name for a file path: {name!r}")
        home = self.homes / name
        with self._lock:
            if home.exists():
                shutil.rmtree(home)
            maildir = home / "Maildir"
            for sub in ("cur", "new", "tmp"):
                (maildir / sub).mkdir(parents=True, mode=0o700)
            for path in (home, maildir, *(maildir / s for s in ("cur", "new", "tmp"))):
                os.chown(path, self._mail_uid, self._mail_gid)
            self._write_passwd(name, password)
        return maildir

    def chown_maildir(self, name: str) -> None:
        """Give files written directly into a user's Maildir to the mail user."""
        for dirpath, _dirs, files in os.walk(self.homes / name):
            os.chown(dirpath, self._mail_uid, self._mail_gid)
            for file in files:
                os.chown(os.path.join(dirpath, file), self._mail_uid, self._mail_gid)

    def log_tail(self, lines: int = 30) -> str:
        """The end of Dovecot's log, for failure messages."""
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def __enter__(self) -> DovecotServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
