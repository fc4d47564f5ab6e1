"""harvest-connect: secure, named connections to the Harvest time-tracking API.

    import harvest_connect as hc
    key = hc.Key.generate()
"""

from __future__ import annotations

from . import _core
from ._core import Key
from .errors import (
    ApiError,
    AuthorizationError,
    DecryptionError,
    DuplicateNameError,
    HarvestConnectError,
    KeyMismatchError,
    NetworkError,
    NotFoundError,
    RateLimitedError,
    TimeoutError,
    TlsError,
    TokenError,
    ValidationError,
)

__version__: str = _core.__version__

__all__ = [
    "Key",
    "HarvestConnectError",
    "ValidationError",
    "NotFoundError",
    "DuplicateNameError",
    "KeyMismatchError",
    "DecryptionError",
    "AuthorizationError",
    "TokenError",
    "ApiError",
    "RateLimitedError",
    "NetworkError",
    "TlsError",
    "TimeoutError",
    "__version__",
]
