"""The error hierarchy of DESIGN.md, and its translation from C++ in one place."""

import builtins

import pytest

import harvest_connect as hc
from harvest_connect import _core

KINDS = {
    "validation_failed": (hc.ValidationError, ValueError),
    "not_found": (hc.NotFoundError, KeyError),
    "duplicate_name": (hc.DuplicateNameError, ValueError),
    "key_mismatch": (hc.KeyMismatchError, hc.HarvestConnectError),
    "decryption_failed": (hc.DecryptionError, hc.HarvestConnectError),
    "authorization_failed": (hc.AuthorizationError, hc.HarvestConnectError),
    "token_error": (hc.TokenError, hc.HarvestConnectError),
    "api_error": (hc.ApiError, hc.HarvestConnectError),
    "rate_limited": (hc.RateLimitedError, hc.ApiError),
    "network_error": (hc.NetworkError, OSError),
    "tls_error": (hc.TlsError, OSError),
    "timeout": (hc.TimeoutError, builtins.TimeoutError),
}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_cpp_error_becomes_its_python_class(kind):
    cls, builtin = KINDS[kind]
    with pytest.raises(cls) as info:
        _core._raise_for_test(kind, "what happened and what to do", 418)
    assert isinstance(info.value, builtin)
    assert isinstance(info.value, hc.HarvestConnectError)
    assert str(info.value) == "what happened and what to do"
    assert info.value.kind == kind


def test_api_errors_carry_the_status():
    with pytest.raises(hc.ApiError) as info:
        _core._raise_for_test("api_error", "Harvest answered 404", 404)
    assert info.value.status == 404


def test_an_unexpected_cpp_exception_is_still_a_harvest_connect_error():
    with pytest.raises(hc.HarvestConnectError) as info:
        _core._raise_for_test("no such kind", "x", 0)
    assert not type(info.value) is RuntimeError
    assert "internal error" in str(info.value)


def test_the_builtin_timeout_error_is_not_shadowed_for_users():
    assert hc.TimeoutError is not builtins.TimeoutError
    assert issubclass(hc.TimeoutError, builtins.TimeoutError)
