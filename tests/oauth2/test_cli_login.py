"""``tui-mail login`` and ``tui-mail check`` against the OAuth2 test bed (issue 14 must-show 1).

The CLI runs as a subprocess, as a user would run it; the test plays the user
by approving the device code the CLI prints.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.oauth2.sign_in_helpers import check, device_login

pytestmark = pytest.mark.integration


@pytest.mark.access_lifetime(4)
def test_device_login_then_check_three_times_across_expiry(
    oauth_bed, oauth_env, tmp_path, transcript
):
    config = oauth_bed.config_toml(tmp_path)
    rc, out, err = device_login(oauth_bed, config, oauth_env, transcript)
    assert rc == 0, out + err
    assert "Signed in to work (device flow)" in out
    assert f"{oauth_bed.auth.url}/device/verify" in out
    stored = Path(oauth_env["TUI_MAIL_STATE_DIR"]) / "oauth2" / "work.json"
    assert stored.exists() and (stored.stat().st_mode & 0o777) == 0o600
    outputs = []
    for round_ in range(3):
        if round_:
            time.sleep(4.5)  # the last access token has expired on the server's clock
        rc, out, err = check(config, oauth_env, transcript)
        outputs.append(out + err)
        assert rc == 0, out + err
        assert "logged in as oauser1 with XOAUTH2" in out
        assert "AUTH XOAUTH2 as oauser1 accepted" in out
        assert "refresh token from the token file (no keyring)" in out
        assert "access token valid until" in out and "scopes: mail" in out
        assert "All checks passed" in out
    # Each check refreshed with the token the one before stored (rotation: the old one
    # is dead on the server), so three checks used three different refresh tokens.
    refreshed = [t for t in oauth_bed.auth.refresh.values() if t.revoked]
    assert len(refreshed) == 3
    (tmp_path / "outputs.txt").write_text("\n".join(outputs))


def test_denied_device_login_prints_error_and_exits_1(oauth_bed, oauth_env, tmp_path, transcript):
    config = oauth_bed.config_toml(tmp_path)
    rc, out, err = device_login(oauth_bed, config, oauth_env, transcript, approve=False)
    assert rc == 1
    assert "access_denied" in err


def test_revoked_grant_makes_check_say_needs_sign_in(oauth_bed, oauth_env, tmp_path, transcript):
    config = oauth_bed.config_toml(tmp_path)
    assert device_login(oauth_bed, config, oauth_env, transcript)[0] == 0
    oauth_bed.auth.invalid_grant = True
    rc, out, err = check(config, oauth_env, transcript)
    assert rc == 1
    assert "needs sign-in" in out and "invalid_grant" in out
    assert "tui-mail login --account work" in out
