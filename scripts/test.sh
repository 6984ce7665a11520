#!/usr/bin/env bash
# The whole test suite, with all set-up, on a fresh machine (Debian, Python 3.11):
# a venv in .venv, the project with its test extra, Dovecot and GnuPG from Debian's packages,
# then ruff, mypy, the import-boundary contracts, the architecture figures and pytest. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}

if [ ! -x "$VENV/bin/python" ]; then
    echo "== creating $VENV"
    "$PYTHON" -m venv "$VENV"
fi
echo "== installing tui-mail with its test extra"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e '.[test]' 2>&1 \
    | grep -v "^WARNING: Location" || true
"$VENV/bin/python" -c "import tui_mail, textual, pymap, aiosmtpd" \
    || { echo "install failed: see pip output above" >&2; exit 1; }

if { ! command -v dovecot >/dev/null 2>&1 && [ ! -x /usr/sbin/dovecot ]; } || [ ! -x /usr/lib/dovecot/pop3 ]; then
    if [ "$(id -u)" = "0" ]; then
        echo "== installing Dovecot (dovecot-imapd, dovecot-pop3d) from Debian's packages"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq dovecot-imapd dovecot-pop3d >/dev/null
    else
        echo "Dovecot is missing: run 'sudo apt-get install -y dovecot-imapd dovecot-pop3d', then run this again." >&2
        exit 1
    fi
fi

if ! command -v gpg >/dev/null 2>&1 || ! command -v gpgsm >/dev/null 2>&1; then
    if [ "$(id -u)" = "0" ]; then
        echo "== installing GnuPG (gnupg, gpgsm) from Debian's packages: the crypto tests run the real gpg"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq gnupg gpgsm >/dev/null
    else
        echo "GnuPG is missing: run 'sudo apt-get install -y gnupg gpgsm', then run this again." >&2
        exit 1
    fi
fi

echo "== ruff"
"$VENV/bin/ruff" check tui_mail tests bench scripts
echo "== mypy"
"$VENV/bin/mypy" tui_mail
echo "== mypy --strict on the backend"
"$VENV/bin/mypy" --strict tui_mail/backend
echo "== import contracts"
"$VENV/bin/lint-imports"
echo "== architecture (cycles, sizes, typed futures, imapclient private names)"
"$VENV/bin/python" scripts/architecture.py
echo "== pytest"
"$VENV/bin/pytest" -ra "$@"
