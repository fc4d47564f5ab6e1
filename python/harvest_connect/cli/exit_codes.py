"""The exit codes of ``harvest-connect``, and which error gets which (docs/cli.md lists them).

One table for every command: scripts branch on these numbers, so they never change meaning.
"""

from __future__ import annotations

from typing import Tuple

from .. import errors

OK = 0
#: anything that went wrong that is not one of the codes below (wrong key, damaged store,
#: network, an API error, a connection found offline, doctor found problems)
FAILURE = 1
#: bad usage or bad input: an unknown option, a missing or invalid value, an unknown name
BAD_INPUT = 2
#: the connection must be authorized again (never authorized, refresh refused, token revoked):
#: run ``harvest-connect authorize NAME``
AUTHORIZE_AGAIN = 3
#: stopped with Ctrl-C (SIGINT), as shells report 128 + SIGINT
INTERRUPTED = 130

#: the kind of the error that means "authorize again" (harvest_connect.AuthorizationRequiredError)
AUTHORIZATION_REQUIRED = "authorization_required"


class BadInput(Exception):
    """A usage problem found after parsing: a missing secret, an unreadable file (exit 2)."""

    kind = "bad_input"


class AuthorizeAgain(Exception):
    """The connection must be authorized (again) before this command can work (exit 3)."""

    kind = AUTHORIZATION_REQUIRED


def _authorization_required(exc: BaseException) -> bool:
    # The class may not exist in every version of the package: the kind names it too.
    cls = getattr(errors, "AuthorizationRequiredError", None)
    if cls is not None and isinstance(exc, cls):
        return True
    return getattr(exc, "kind", None) == AUTHORIZATION_REQUIRED


def for_error(exc: BaseException) -> Tuple[int, str]:
    """(exit code, kind) of an error that ended a command; ``kind`` is the engine's error
    name (``"not_found"``, ``"network_error"``, ...) or one of the CLI's own."""
    if isinstance(exc, KeyboardInterrupt):
        return INTERRUPTED, "interrupted"
    if isinstance(exc, BadInput):
        return BAD_INPUT, exc.kind
    if isinstance(exc, AuthorizeAgain):
        return AUTHORIZE_AGAIN, exc.kind
    if isinstance(exc, errors.HarvestConnectError):
        kind = exc.kind
        if _authorization_required(exc):
            return AUTHORIZE_AGAIN, AUTHORIZATION_REQUIRED
        if isinstance(exc, (errors.ValidationError, errors.NotFoundError)):
            return BAD_INPUT, kind
        return FAILURE, kind
    if isinstance(exc, OSError):  # e.g. get --output into a directory that does not exist
        return FAILURE, "os_error"
    raise TypeError(f"not an error the CLI reports: {type(exc).__name__}")
