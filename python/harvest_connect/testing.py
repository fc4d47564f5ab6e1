"""A local Harvest for tests, demos and offline development.

    from harvest_connect.testing import HarvestEmulator

    with HarvestEmulator(entries=5000) as harvest:
        app = harvest.register_app("My tests", "http://127.0.0.1:8765/callback")
        url = harvest.authorization_url(app.client_id, state="abc")
        redirected = harvest.approve(url)          # what "Authorize application" does
        ...                                        # exchange the code at harvest.token_url

The emulator runs in background threads of this process on 127.0.0.1 (HTTPS with a CA
generated at start, see ``ca_file``), and imitates Harvest's ID service and an API v2 subset:
see docs/testing.md.
"""

from __future__ import annotations

import datetime as _dt
import ssl
import urllib.parse
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Dict, List, Optional, Type, Union

from . import _core
from .errors import HarvestConnectError

__all__ = ["HarvestEmulator", "EmulatorApp"]

# The defaults are the C++ EmulatorOptions{} and Faults{} (read by _core at import).
_EMULATOR: Dict[str, Any] = _core.DEFAULTS["emulator"]
_FAULTS: Dict[str, Any] = _core.DEFAULTS["faults"]


@dataclass(frozen=True)
class EmulatorApp:
    """An OAuth app registered with the emulator (the secret is left out of the repr)."""

    name: str
    client_id: str
    client_secret: str = field(repr=False)
    redirect_url: str
    multi_account: bool = False
    forecast: bool = False


class HarvestEmulator:
    """The Harvest emulator, started at once on 127.0.0.1 (port 0 picks a free port).

    Use it as a context manager, or call :meth:`close` when done. Times are in seconds.
    ``rate_limits=False`` turns the 429s off (benchmarks); ``general_window`` and
    ``reports_window`` shorten Harvest's 15 s and 15 min windows for tests.
    ``expires_in_json`` (a JSON number, verbatim) replaces ``expires_in`` in token answers, to
    test clients against absurd lifetimes; ``indent_json`` indents the API's JSON answers.
    """

    def __init__(
        self,
        *,
        entries: int = _EMULATOR["entries"],
        tls: bool = _EMULATOR["tls"],
        port: int = _EMULATOR["port"],
        seed: int = _EMULATOR["seed"],
        users: int = _EMULATOR["users"],
        clients: int = _EMULATOR["clients"],
        projects: int = _EMULATOR["projects"],
        tasks: int = _EMULATOR["tasks"],
        rate_limits: bool = _EMULATOR["rate_limits"],
        general_limit: int = _EMULATOR["general_limit"],
        general_window: float = _EMULATOR["general_window"],
        reports_limit: int = _EMULATOR["reports_limit"],
        reports_window: float = _EMULATOR["reports_window"],
        access_token_lifetime: float = _EMULATOR["access_token_lifetime"],
        code_lifetime: float = _EMULATOR["code_lifetime"],
        rotate_refresh_tokens: bool = _EMULATOR["rotate_refresh_tokens"],
        cursor_pagination: bool = _EMULATOR["cursor_pagination"],
        threads: int = _EMULATOR["threads"],
        expires_in_json: str = _EMULATOR["expires_in_json"],
        indent_json: bool = _EMULATOR["indent_json"],
    ) -> None:
        self._core: Optional[_core.Emulator] = _core.Emulator(
            entries=entries, tls=tls, port=port, seed=seed, users=users, clients=clients,
            projects=projects, tasks=tasks, rate_limits=rate_limits, general_limit=general_limit,
            general_window=general_window, reports_limit=reports_limit, reports_window=reports_window,
            access_token_lifetime=access_token_lifetime, code_lifetime=code_lifetime,
            rotate_refresh_tokens=rotate_refresh_tokens, cursor_pagination=cursor_pagination,
            threads=threads, expires_in_json=expires_in_json, indent_json=indent_json)
        self._id_url = self._core.id_url
        self._api_url = self._core.api_url
        self._ca_file = self._core.ca_file

    # -- lifecycle -------------------------------------------------------------------------
    def __enter__(self) -> "HarvestEmulator":
        return self

    def __exit__(self, exc_type: Optional[Type[BaseException]], exc: Optional[BaseException],
                 tb: Optional[TracebackType]) -> None:
        self.close()

    def close(self) -> None:
        """Stop serving and remove the CA file. Idempotent."""
        if self._core is not None:
            self._core.stop()
            self._core = None  # the C++ destructor removes the temporary CA directory

    @property
    def _emu(self) -> _core.Emulator:
        if self._core is None:
            raise HarvestConnectError("the HarvestEmulator is closed; start a new one")
        return self._core

    def __repr__(self) -> str:
        state = "closed" if self._core is None else "running"
        return f"HarvestEmulator(id_url={self._id_url!r}, api_url={self._api_url!r}, {state})"

    # -- where it is -----------------------------------------------------------------------
    @property
    def id_url(self) -> str:
        """The ID service's base URL (stands for https://id.getharvest.com)."""
        return self._id_url

    @property
    def api_url(self) -> str:
        """The API base URL (stands for https://api.harvestapp.com/v2)."""
        return self._api_url

    @property
    def authorize_url(self) -> str:
        return self._id_url + "/oauth2/authorize"

    @property
    def token_url(self) -> str:
        return self._id_url + "/api/v2/oauth2/token"

    @property
    def ca_file(self) -> str:
        """PEM file of the CA that signed the server's certificate ('' with tls=False)."""
        return self._ca_file

    @property
    def port(self) -> int:
        return self._emu.port

    @property
    def account_id(self) -> int:
        """The seeded Harvest account's id."""
        return self._emu.default_account_id

    def ssl_context(self) -> ssl.SSLContext:
        """A client SSL context that trusts the emulator's CA (and nothing else)."""
        return ssl.create_default_context(cafile=self._ca_file or None)

    # -- apps, users, accounts -------------------------------------------------------------
    def register_app(self, name: str = "Test app", redirect_url: str = "http://127.0.0.1:8765/callback",
                     *, multi_account: bool = False, forecast: bool = False) -> EmulatorApp:
        """Register an OAuth app, as Harvest's developer page does; the secret is shown once."""
        d = self._emu.register_app(name, redirect_url, multi_account=multi_account, forecast=forecast)
        return EmulatorApp(name=str(d["name"]), client_id=str(d["client_id"]),
                           client_secret=str(d["client_secret"]), redirect_url=str(d["redirect_url"]),
                           multi_account=bool(d["multi_account"]), forecast=bool(d["forecast"]))

    def add_user(self, first_name: str, last_name: str, email: str, password: str, *,
                 role: str = "administrator", account_ids: Optional[List[int]] = None) -> Dict[str, Any]:
        return self._emu.add_user(first_name, last_name, email, password, role=role,
                                  account_ids=list(account_ids or []))

    def add_account(self, name: str, *, product: str = "harvest",
                    user_ids: Optional[List[int]] = None) -> Dict[str, Any]:
        return self._emu.add_account(name, product=product, user_ids=list(user_ids or []))

    def default_user(self) -> Dict[str, Any]:
        return self._emu.default_user()

    def accounts(self) -> List[Dict[str, Any]]:
        return self._emu.accounts()

    # -- consent and tokens ----------------------------------------------------------------
    def authorization_url(self, client_id: str, *, state: Optional[str] = None,
                          redirect_uri: Optional[str] = None, code_challenge: Optional[str] = None,
                          code_challenge_method: str = "S256") -> str:
        """The URL a client sends its user to (Harvest's /oauth2/authorize)."""
        params = {"client_id": client_id, "response_type": "code"}
        if redirect_uri is not None:
            params["redirect_uri"] = redirect_uri
        if state is not None:
            params["state"] = state
        if code_challenge is not None:
            params["code_challenge"] = code_challenge
            params["code_challenge_method"] = code_challenge_method
        return self.authorize_url + "?" + urllib.parse.urlencode(params)

    def approve(self, authorization_url: str, *, email: str = "", password: str = "",
                account_id: int = 0) -> str:
        """Sign in (the default user unless email is given) and click "Authorize application";
        returns the URL the browser would be redirected to (with code, scope and state)."""
        return self._emu.approve(authorization_url, email=email, password=password, account_id=account_id)

    def deny(self, authorization_url: str) -> str:
        """Click "Deny"; returns the redirect URL (error=access_denied)."""
        return self._emu.deny(authorization_url)

    def create_personal_access_token(self, user_id: int = 0) -> str:
        """A personal access token (scope all) of that user (0: the default user)."""
        return self._emu.create_personal_access_token(user_id)

    def expire_tokens(self) -> None:
        """Every access token issued so far expires now; refresh tokens keep working."""
        self._emu.expire_tokens()

    def advance_clock(self, seconds: float) -> None:
        """Move the emulator's clock forward (code/token expiry, rate-limit windows)."""
        self._emu.advance_clock(seconds)

    # -- faults, log, counters -------------------------------------------------------------
    def set_faults(
        self,
        *,
        path_prefix: str = _FAULTS["path_prefix"],
        latency: float = _FAULTS["latency"],
        page_latency: float = _FAULTS["page_latency"],
        drop_next: int = _FAULTS["drop_next"],
        drop_rate: float = _FAULTS["drop_rate"],
        error_next: int = _FAULTS["error_next"],
        error_rate: float = _FAULTS["error_rate"],
        error_status: int = _FAULTS["error_status"],
        retry_after: int = _FAULTS["retry_after"],
        truncate_next: int = _FAULTS["truncate_next"],
        truncate_rate: float = _FAULTS["truncate_rate"],
        retry_after_header: str = _FAULTS["retry_after_header"],
        bare_errors: bool = _FAULTS["bare_errors"],
    ) -> None:
        """Inject faults into requests whose path starts with path_prefix ('' = all); replaces
        the previous faults. Counts (``*_next``) are used first; rates are seeded.
        ``retry_after_header`` is sent verbatim as Retry-After with the error answers;
        ``bare_errors`` gives them an empty text/html body (as real Harvest 429s have)."""
        self._emu.set_faults(path_prefix=path_prefix, latency=latency, page_latency=page_latency,
                             drop_next=drop_next, drop_rate=drop_rate, error_next=error_next,
                             error_rate=error_rate, error_status=error_status, retry_after=retry_after,
                             truncate_next=truncate_next, truncate_rate=truncate_rate,
                             retry_after_header=retry_after_header, bare_errors=bare_errors)

    def clear_faults(self) -> None:
        self._emu.clear_faults()

    def request_log(self) -> List[Dict[str, Any]]:
        """Requests seen so far, secrets replaced by "[redacted]"."""
        return self._emu.request_log()

    def clear_request_log(self) -> None:
        self._emu.clear_request_log()

    def counters(self) -> Dict[str, int]:
        return self._emu.counters()

    def time_entry_count(self) -> int:
        return self._emu.time_entry_count()

    def update_time_entry(self, entry_id: int, *, notes: Optional[str] = None, hours: Optional[float] = None,
                          updated_at: Union[_dt.datetime, int, None] = None) -> None:
        """Edit a time entry as someone in Harvest would: ``notes``/``hours`` when given, and
        its ``updated_at`` set to ``updated_at`` (an aware datetime or Unix seconds; the
        emulator's clock when None), so that tests of ``updated_since`` choose the second."""
        if isinstance(updated_at, _dt.datetime):
            if updated_at.tzinfo is None:
                raise ValueError("updated_at: give an aware datetime (e.g. tzinfo=datetime.timezone.utc)")
            updated_at = int(updated_at.timestamp())
        self._emu.update_time_entry(entry_id, notes=notes, hours=hours, updated_at=updated_at)
