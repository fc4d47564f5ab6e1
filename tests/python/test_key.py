"""harvest_connect.Key through the binding: round trips, ids, and no key material in reprs."""

import base64
import os
import pickle
import stat

import pytest

import harvest_connect as hc
from harvest_connect import _core


def test_generate_gives_distinct_32_byte_keys():
    a, b = hc.Key.generate(), hc.Key.generate()
    assert len(base64.b64decode(a.to_base64())) == 32
    assert a != b and a.id != b.id


def test_base64_round_trip_keeps_key_and_id():
    key = hc.Key.generate()
    again = hc.Key.from_base64(key.to_base64())
    assert again == key
    assert again.id == key.id
    assert len(key.id) == 8 and int(key.id, 16) >= 0


@pytest.mark.parametrize("text", ["", "not base64!", base64.b64encode(b"x" * 31).decode(),
                                  base64.b64encode(b"x" * 33).decode(), "A" * 43])
def test_malformed_keys_are_validation_errors_that_do_not_echo_the_input(text):
    with pytest.raises(hc.ValidationError) as info:
        hc.Key.from_base64(text)
    if text:
        assert text not in str(info.value)


def test_repr_and_str_show_the_id_only():
    key = hc.Key.generate()
    secret_b64 = key.to_base64()
    raw = base64.b64decode(secret_b64)
    for text in (repr(key), str(key), f"{key!r}", str([key])):
        assert key.id in text
        assert secret_b64 not in text
        assert raw.hex() not in text
        assert secret_b64.rstrip("=")[:16] not in text


def test_keys_cannot_be_pickled_by_accident():
    with pytest.raises((hc.ValidationError, TypeError, pickle.PicklingError)):
        pickle.dumps(hc.Key.generate())


def test_key_files_are_written_0600_and_read_back(tmp_path):
    path = tmp_path / "keys" / "master.key"
    key = hc.Key.generate()
    _core._write_key_file(str(path), key)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    assert _core._load_key_file(str(path)) == key


def test_a_key_file_readable_by_others_is_refused_with_the_fix(tmp_path):
    path = tmp_path / "master.key"
    key = hc.Key.generate()
    _core._write_key_file(str(path), key)
    os.chmod(path, 0o644)
    with pytest.raises(hc.ValidationError) as info:
        _core._load_key_file(str(path))
    assert "chmod 600" in str(info.value)
    assert key.to_base64() not in str(info.value)


def test_key_from_environment(monkeypatch, tmp_path):
    assert _core._key_from_environment() is None  # conftest cleared HARVEST_CONNECT_KEY(_FILE)
    key = hc.Key.generate()
    path = tmp_path / "k"
    _core._write_key_file(str(path), key)
    monkeypatch.setenv("HARVEST_CONNECT_KEY_FILE", str(path))
    assert _core._key_from_environment() == key
    other = hc.Key.generate()
    monkeypatch.setenv("HARVEST_CONNECT_KEY", other.to_base64())
    assert _core._key_from_environment() == other  # the variable wins over the file
    monkeypatch.setenv("HARVEST_CONNECT_KEY", "garbage")
    with pytest.raises(hc.ValidationError) as info:
        _core._key_from_environment()
    assert "HARVEST_CONNECT_KEY" in str(info.value) and "garbage" not in str(info.value)
