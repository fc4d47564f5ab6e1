"""The engine's error texts are neutral (C++ programs see them too); the Python package adds the
Python call or CLI command that does what they advise (harvest_connect/errors.py: _with_hint)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import harvest_connect as hc


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("HARVEST_CONNECT_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


def test_a_missing_key_file_names_the_command_that_makes_one(monkeypatch: pytest.MonkeyPatch,
                                                             tmp_path: Path) -> None:
    monkeypatch.setenv("HARVEST_CONNECT_KEY_FILE", str(tmp_path / "missing.key"))
    with pytest.raises(hc.HarvestConnectError) as caught:
        hc.Store.open(tmp_path / "store.db")
    text = str(caught.value)
    assert "Create it (the base64 of 32 random bytes" in text  # the engine's words
    assert "'harvest-connect key generate' prints a new key" in text  # the Python layer's hint


def test_an_unknown_connection_names_the_listing_calls(tmp_path: Path) -> None:
    with hc.Store.open(tmp_path / "store.db", key=hc.Key.generate()) as store:
        with pytest.raises(hc.NotFoundError) as caught:
            store.connection("nobody")
    text = str(caught.value)
    assert "there is no connection named" in text
    assert "store.connections(), or 'harvest-connect connections list'" in text


def test_a_hint_is_added_once_and_only_where_it_fits() -> None:
    from harvest_connect.errors import _with_hint

    neutral = "there is no connection named 'x' (list them with connections())"
    hinted = _with_hint("not_found", neutral)
    assert hinted.startswith(neutral) and hinted.endswith("'harvest-connect connections list')")
    assert _with_hint("not_found", hinted) == hinted
    assert _with_hint("api_error", neutral) == neutral  # another kind: nothing added
    assert _with_hint("not_found", "something else") == "something else"
