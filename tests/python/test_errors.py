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
    "authorization_required": (hc.AuthorizationRequiredError, hc.AuthorizationError),
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
    assert type(info.value) is not RuntimeError
    assert "internal error" in str(info.value)


def test_the_builtin_timeout_error_is_not_shadowed_for_users():
    assert hc.TimeoutError is not builtins.TimeoutError
    assert issubclass(hc.TimeoutError, builtins.TimeoutError)


def test_a_star_import_leaves_the_builtin_timeout_error_alone():
    namespace: dict = {}
    exec("from harvest_connect import *", namespace)
    assert "TimeoutError" not in namespace  # the builtin stays the builtin
    assert "AuthorizationRequiredError" in namespace
    exec("try:\n    raise hc_timeout('slow')\nexcept TimeoutError as e:\n    caught = e", namespace | {
        "hc_timeout": hc.TimeoutError}, namespace)
    assert isinstance(namespace["caught"], hc.TimeoutError)  # `except TimeoutError` still catches ours
    from harvest_connect import TimeoutError as importable  # noqa: A004 - by name it still imports
    assert importable is hc.TimeoutError


def test_authorization_required_is_the_one_exception_for_authorizing_again():
    with pytest.raises(hc.AuthorizationError) as info:
        _core._raise_for_test("authorization_required", "the connection 'acme' is not authorized yet", 0)
    assert type(info.value) is hc.AuthorizationRequiredError
    assert info.value.error == "" and info.value.status == 0 and info.value.body == ""
    assert hc.AuthorizationRequiredError.__doc__ and "authorize" in hc.AuthorizationRequiredError.__doc__


def test_the_native_module_does_not_import_the_package():
    # _core gets the exception factory from errors.py (layers point down): no import of
    # harvest_connect.* from C++, so the factory in use is the one errors.py registered.
    import pathlib
    bindings = pathlib.Path(__file__).resolve().parents[2] / "python" / "bindings"
    if bindings.is_dir():
        for source in bindings.glob("*.[ch]pp"):
            assert 'import("harvest_connect' not in source.read_text(), source.name
    seen = []
    _core._set_error_factory(lambda *args: seen.append(args) or ValueError("from the test factory"))
    try:
        with pytest.raises(ValueError, match="from the test factory"):
            _core._raise_for_test("not_found", "x", 0)
    finally:
        from harvest_connect import errors
        _core._set_error_factory(errors._from_core)
    assert seen and seen[0][0] == "not_found"
    with pytest.raises(hc.NotFoundError):
        _core._raise_for_test("not_found", "x", 0)
