"""The crypto tests' GnuPG: one throw-away world of keyrings for the run (``tests/crypto/gpg_bed.py``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.crypto.gpg_bed import GpgWorld, make_gpg_world


@pytest.fixture(scope="session")
def gpg_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GpgWorld]:
    """Alice's keyring (``me``) and a stranger's (``other``); their agents stop at the end."""
    world = make_gpg_world(tmp_path_factory.mktemp("gnupg"))
    try:
        yield world
    finally:
        world.stop_agents()


@pytest.fixture
def my_gnupghome(gpg_world: GpgWorld, monkeypatch: pytest.MonkeyPatch) -> GpgWorld:
    """``$GNUPGHOME`` set to Alice's keyring, as a user's shell would have it."""
    monkeypatch.setenv("GNUPGHOME", str(gpg_world.me))
    return gpg_world
