"""harvest-connect: secure, named connections to the Harvest time-tracking API.

    import harvest_connect as hc
    with hc.Store.open() as store:
        store.create_oauth_client("harvest-app", client_id="...", client_secret=getpass())
        conn = store.create_connection("acme", oauth_client="harvest-app", account_id=getpass())
"""

from __future__ import annotations

from . import _core, _guard

# Before anything else uses _core: surrogates become ValidationError, and a TypeError never
# repeats argument values (they may be secrets). See _guard.py.
_guard.install(_core)

from ._core import (  # noqa: E402
    Connection,
    CopyReport,
    Key,
    OAuthClient,
    Problem,
    PullState,
    Store,
    TestResult,
    copy_store,
    default_key_file_path,
    default_store_location,
    default_store_path,
    default_user_agent,
    is_database_url,
)
from .client import HarvestClient, connect
from .pull import Pull
from .reports import report_windows
from .client import connection_api as _connection_api
from .errors import (
    ApiError,
    AuthorizationError,
    AuthorizationRequiredError,
    DecryptionError,
    DuplicateNameError,
    HarvestConnectError,
    KeyMismatchError,
    NetworkError,
    NotFoundError,
    RateLimitedError,
    TimeoutError,  # hc.TimeoutError, a subclass of the builtin; not in __all__ (see below)
    TlsError,
    TokenError,
    ValidationError,
)

from . import authorization as _authorization
from . import display as _display

# conn.api() wraps the engine's client in the Pythonic HarvestClient (so _core never imports
# the package).
Connection.api = _connection_api  # type: ignore[method-assign]
# The authorization methods that need Python (browser, Ctrl-C, Jupyter) join the engine's.
Connection.authorize = _authorization.authorize  # type: ignore[method-assign]
Connection.authorization_url = _authorization.authorization_url  # type: ignore[method-assign]
# How they show in Jupyter (an HTML table; the plain repr stays the engine's).
Connection._repr_html_ = _display.connection_html  # type: ignore[method-assign]
Store._repr_html_ = _display.store_html  # type: ignore[method-assign]
TestResult._repr_html_ = _display.result_html  # type: ignore[method-assign]

__version__: str = _core.__version__


def __getattr__(name: str) -> object:
    # hc.notebook without importing ipywidgets for every user of the package.
    if name == "notebook":
        import importlib

        return importlib.import_module(".notebook", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "Key",
    "Store",
    "OAuthClient",
    "Connection",
    "Problem",
    "copy_store",
    "CopyReport",
    "HarvestClient",
    "connect",
    "Pull",
    "PullState",
    "report_windows",
    "TestResult",
    "default_store_path",
    "default_store_location",
    "is_database_url",
    "default_key_file_path",
    "default_user_agent",
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
    # Not "TimeoutError": `from harvest_connect import *` would shadow the builtin. Ours
    # subclasses it, so `except TimeoutError` catches it; name it as hc.TimeoutError.
    "__version__",
]
