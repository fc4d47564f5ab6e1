"""The exceptions of harvest_connect.

Every error the engine raises is a :class:`HarvestConnectError`; the leaves also subclass
the builtin that fits, so ``except ValueError`` or ``except OSError`` work as expected.
No message holds a secret: whatever a server wrote (its ``message``, ``error_description``,
error code, body) passes through the engine's scrubber first, which removes every secret of
the connection in any encoding (raw, percent-encoded, base64, hex, cut short) and every
control character and escape sequence (``cpp/include/harvest_connect/model/scrubber.hpp``).

Catch :class:`AuthorizationRequiredError` for "this connection must be authorized again"
(never authorized, refresh token refused or revoked): retrying does not help, running
``conn.authorize()`` (``harvest-connect authorize NAME``) does.

``TimeoutError`` is importable as ``harvest_connect.TimeoutError`` (a subclass of the builtin,
so ``except TimeoutError`` catches it) but is left out of ``__all__``: ``from harvest_connect
import *`` must not shadow the builtin.
"""

from __future__ import annotations

import builtins
from typing import Dict, Optional, Type

from . import _core

# Not "TimeoutError": a star import would shadow the builtin (it stays importable by name).
__all__ = [
    "HarvestConnectError",
    "ValidationError",
    "NotFoundError",
    "DuplicateNameError",
    "KeyMismatchError",
    "DecryptionError",
    "AuthorizationError",
    "AuthorizationRequiredError",
    "TokenError",
    "ApiError",
    "RateLimitedError",
    "NetworkError",
    "TlsError",
]


class HarvestConnectError(Exception):
    """Base class of every harvest_connect error."""

    #: the engine's error name (e.g. ``"validation_failed"``)
    kind: str = "internal_error"


class ValidationError(HarvestConnectError, ValueError):
    """A value given is invalid; the message names the field."""


class NotFoundError(HarvestConnectError, KeyError):
    """No OAuth client or connection has that name."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class DuplicateNameError(ValidationError):
    """A record with that name exists already (names compare case-insensitively)."""


class KeyMismatchError(HarvestConnectError):
    """The key given is not the key of the store; nothing was read or written."""


class DecryptionError(HarvestConnectError):
    """A sealed value failed to authenticate: changed, damaged, or moved from another record."""


class AuthorizationError(HarvestConnectError):
    """The OAuth authorization did not complete (declined, wrong state, wrong account, ...)."""


class AuthorizationRequiredError(AuthorizationError):
    """The connection must be authorized again before it can call the API.

    Raised when it was never authorized, when the token endpoint refused its refresh token
    (``invalid_grant``: expired or revoked at Harvest, also after a 401 led to that refresh),
    or when an expired access token has no refresh token to renew it. Retrying does not help:
    run ``conn.authorize()`` (or ``harvest-connect authorize NAME``, whose exit code for this
    error is 3). Like google-auth's ``RefreshError``, it is the one exception to catch for this.
    """

    def __init__(self, message: str, *, error: str = "", status: int = 0, body: str = "") -> None:
        super().__init__(message)
        #: the OAuth error code the token endpoint gave (``"invalid_grant"``), else ``""``
        self.error = error
        #: the HTTP status of the answer that showed it (400 from the token endpoint, 401 from
        #: the API), 0 when none came (never authorized)
        self.status = status
        #: the API's 401 body (scrubbed, at most 4 KiB), else ``""``
        self.body = body


class TokenError(HarvestConnectError):
    """The token endpoint refused the request or answered something malformed."""

    def __init__(self, message: str, *, error: str = "", status: int = 0) -> None:
        super().__init__(message)
        #: the OAuth error code the server gave, e.g. ``"invalid_grant"``
        self.error = error
        self.status = status


class ApiError(HarvestConnectError):
    """The Harvest API answered with an error status."""

    def __init__(self, message: str, *, status: int = 0, body: str = "") -> None:
        super().__init__(message)
        #: the HTTP status code
        self.status = status
        #: the answer's body (at most 4 KiB), with every secret of the connection, in any
        #: encoding, replaced by ``[redacted]`` and control characters removed
        self.body = body


class RateLimitedError(ApiError):
    """Harvest answered 429 and the deadline left no time to wait for ``retry_after``."""

    def __init__(self, message: str, *, status: int = 429, body: str = "",
                 retry_after: Optional[float] = None) -> None:
        super().__init__(message, status=status, body=body)
        self.retry_after = retry_after


class NetworkError(HarvestConnectError, OSError):
    """Name resolution, a refused or dropped connection, or a protocol error."""

    def __str__(self) -> str:  # OSError would format (errno, strerror)
        return str(self.args[0]) if self.args else ""


class TlsError(NetworkError):
    """The TLS handshake or the certificate check failed; the message says why."""


class TimeoutError(HarvestConnectError, builtins.TimeoutError):  # noqa: A001 - mirrors the builtin on purpose
    """A connect, read, write or whole-request deadline passed."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


_BY_KIND: Dict[str, Type[HarvestConnectError]] = {
    "validation_failed": ValidationError,
    "not_found": NotFoundError,
    "duplicate_name": DuplicateNameError,
    "key_mismatch": KeyMismatchError,
    "decryption_failed": DecryptionError,
    "authorization_failed": AuthorizationError,
    "authorization_required": AuthorizationRequiredError,
    "token_error": TokenError,
    "api_error": ApiError,
    "rate_limited": RateLimitedError,
    "network_error": NetworkError,
    "tls_error": TlsError,
    "timeout": TimeoutError,
    "too_large": ApiError,
    "unsupported": ValidationError,
    "store_error": HarvestConnectError,
    "key_error": ValidationError,
    "internal_error": HarvestConnectError,
}


# The engine's texts are neutral (C++ programs see them too): what to do, in words. For the
# Python package and its CLI, the matching Python call or command is appended here:
# (kind, a phrase of the engine's message, the hint).
_HINTS = (
    ("key_error", "Create it (the base64 of 32 random bytes",
     " ('harvest-connect key generate' prints a new key)"),
    ("key_error", "does not hold a valid key (the base64 of 32 bytes)",
     " ('harvest-connect key generate' prints one)"),
    ("key_error", "the key is not valid: expected the base64 of 32 bytes",
     " ('harvest-connect key generate' prints one)"),
    ("key_error", "a master key is 32 bytes", " ('harvest-connect key generate' prints one)"),
    ("not_found", "(list them with oauth_clients())",
     " (store.oauth_clients(), or 'harvest-connect clients list')"),
    ("not_found", "(list them with connections())",
     " (store.connections(), or 'harvest-connect connections list')"),
    ("validation_failed", "; create it first (create_oauth_client)",
     " (Store.create_oauth_client, or 'harvest-connect clients add')"),
    ("key_mismatch", "this store is protected by a passphrase: open it with its passphrase",
     " (passphrase=...; on the command line, answer the prompt or use --passphrase-stdin)"),
    ("decryption_failed", "verifying the store lists every such record",
     " (store.verify(), or 'harvest-connect doctor')"),
    ("validation_failed", "use the paste flow instead (authorization_url() and complete_authorization())",
     " (on the command line: 'harvest-connect authorize NAME --no-browser')"),
    ("validation_failed", "give the OAuth client the same redirect_uri",
     " (on the command line: 'harvest-connect clients edit NAME --redirect-uri ...')"),
    ("token_error", "check its client ID and secret",
     " (on the command line: 'harvest-connect clients edit')"),
)


def _with_hint(kind: str, message: str) -> str:
    """The engine's message with the Python/CLI way to do what it advises, where one fits."""
    for hint_kind, phrase, hint in _HINTS:
        if kind == hint_kind and phrase in message and hint not in message:
            return message + hint
    return message


def _from_core(kind: str, message: str, status: int, body: str, server_error: str,
               retry_after: Optional[float]) -> HarvestConnectError:
    """Builds the Python exception for a C++ ``harvest_connect::error`` (called by _core)."""
    message = _with_hint(kind, message)
    cls = _BY_KIND.get(kind, HarvestConnectError)
    exc: HarvestConnectError
    if cls is RateLimitedError:
        exc = RateLimitedError(message, status=status or 429, body=body, retry_after=retry_after)
    elif issubclass(cls, ApiError):
        exc = cls(message, status=status, body=body)
    elif cls is TokenError:
        exc = TokenError(message, error=server_error, status=status)
    elif cls is AuthorizationRequiredError:
        exc = AuthorizationRequiredError(message, error=server_error, status=status, body=body)
    else:
        exc = cls(message)
    exc.kind = kind
    return exc


# The engine turns its errors into these classes through _from_core; _core does not import
# this package (layers point down), so the factory is handed over here.
_core._set_error_factory(_from_core)
