"""RFC 8058 one-click unsubscribe against a real HTTPS server on 127.0.0.1."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.servers.https_server import LocalHTTPS, Reply
from tests.servers.tls import CertPair
from tui_mail.backend import one_click_unsubscribe
from tui_mail.errors import ConnectionLost, MailError


@pytest.fixture
def https(test_cert: CertPair) -> Iterator[LocalHTTPS]:
    with LocalHTTPS(test_cert, default=Reply(b"ok")) as server:
        yield server


def test_posts_exactly_the_one_click_body(https: LocalHTTPS, test_cert: CertPair) -> None:
    outcome = one_click_unsubscribe(
        f"{https.base}/u?list=py&id=7", context=test_cert.client_context()
    )
    assert outcome.status == 200 and outcome.host == "127.0.0.1"
    [seen] = https.requests
    assert seen.method == "POST" and seen.path == "/u?list=py&id=7"
    assert seen.body == b"List-Unsubscribe=One-Click"
    assert seen.headers["content-type"] == "application/x-www-form-urlencoded"
    assert "cookie" not in seen.headers and "authorization" not in seen.headers


def test_a_refusal_or_an_untrusted_certificate_is_an_error(
    https: LocalHTTPS, test_cert: CertPair
) -> None:
    https.routes["/gone"] = Reply(status=404)
    with pytest.raises(MailError, match="refused") as refused:
        one_click_unsubscribe(f"{https.base}/gone", context=test_cert.client_context())
    assert "404" in refused.value.details
    with pytest.raises(MailError, match="certificate"):
        one_click_unsubscribe(f"{https.base}/u")  # the system's CAs do not know the test CA
    assert [r.path for r in https.requests] == ["/gone"]


def test_redirects_stay_on_https(https: LocalHTTPS, test_cert: CertPair) -> None:
    https.routes["/hop"] = Reply(status=307, headers={"Location": "/done"})
    https.routes["/plain"] = Reply(status=302, headers={"Location": "http://127.0.0.1:9/u"})
    outcome = one_click_unsubscribe(f"{https.base}/hop", context=test_cert.client_context())
    assert outcome.status == 200
    assert [(r.path, r.body) for r in https.requests] == [
        ("/hop", b"List-Unsubscribe=One-Click"),
        ("/done", b"List-Unsubscribe=One-Click"),
    ]
    with pytest.raises(MailError, match="away from https"):
        one_click_unsubscribe(f"{https.base}/plain", context=test_cert.client_context())
    https.routes["/loop"] = Reply(status=308, headers={"Location": "/loop"})
    with pytest.raises(MailError, match="too many redirects"):
        one_click_unsubscribe(f"{https.base}/loop", context=test_cert.client_context())


def test_never_plain_http_and_a_silent_server_costs_only_the_timeout(
    https: LocalHTTPS, test_cert: CertPair
) -> None:
    with pytest.raises(MailError, match="not an https"):
        one_click_unsubscribe("http://127.0.0.1:9/u")
    with pytest.raises(MailError, match="user name"):
        one_click_unsubscribe("https://user:pw@127.0.0.1:9/u")
    https.routes["/slow"] = Reply(delay=5, answer=False)
    start = time.monotonic()
    with pytest.raises(ConnectionLost):
        one_click_unsubscribe(f"{https.base}/slow", context=test_cert.client_context(), timeout=0.5)
    assert time.monotonic() - start < 3
