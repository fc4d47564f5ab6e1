"""The connection form for Jupyter: ``hc.notebook.connection_form()`` (needs ``[notebook]``).

The form is a thin view (ipywidgets) over the same store and connection API a script uses:
``Store.create_oauth_client``, ``create_connection``/``update_connection``, the loopback or the
paste authorization, and ``Connection.test()``. Every check is the engine's; the form only
adds what a form needs: required fields, a unique name, and inline messages.

Secrets (client secret, account ID) are in widget values only between typing and saving:
saving clears them, so they are not in the widget state Jupyter saves with the notebook. The
authorization link (it holds the one-time ``state``) is removed once the authorization ends.
"""

from __future__ import annotations

import html
import importlib
import threading
from typing import Any, Dict, List, Optional

from . import _core, authorization
from .errors import HarvestConnectError, NotFoundError, ValidationError

__all__ = ["connection_form", "ConnectionForm"]

#: The client dropdown's value for "New client…".
NEW_CLIENT = "\x00new"
#: The connection dropdown's value for a new connection.
NEW_CONNECTION = "\x00new"

_ACCOUNT_HINT = ("The account ID is encrypted in the store and never shown: enter it again to save "
                 "this connection.")


def _widgets() -> Any:
    try:
        ipywidgets = importlib.import_module("ipywidgets")  # optional, and untyped
    except ImportError:
        raise ImportError("the connection form needs ipywidgets: pip install 'harvest-connect[notebook]'") from None
    return ipywidgets


def connection_form(store: Optional[_core.Store] = None, name: Optional[str] = None, *,
                    remote: Optional[bool] = None, api_url: Optional[str] = None,
                    id_url: Optional[str] = None, ca_file: Optional[str] = None,
                    timeout: float = 300) -> "ConnectionForm":
    """The *Set up a connection to Harvest* form; the last expression of a cell shows it.

    ``store``: the store to save in (default: ``Store.open()``, kept open by the form until
    :meth:`ConnectionForm.close`). ``name``: an existing connection to edit. ``remote``: whether
    the browser runs on another computer than the kernel (default: detected, see
    :func:`harvest_connect.authorization.browser_is_remote`): then the form asks for the address
    the browser ends on instead of listening on 127.0.0.1. ``api_url``/``id_url``: for new
    connections (default: Harvest's). ``ca_file``: an extra CA bundle for the token endpoint and
    the connection test. ``timeout``: how long the loopback receiver waits.
    """
    return ConnectionForm(store, name, remote=remote, api_url=api_url, id_url=id_url, ca_file=ca_file,
                          timeout=timeout)


class ConnectionForm:
    """The widgets and what their buttons do. Attributes are the widgets, for programs and tests."""

    def __init__(self, store: Optional[_core.Store], name: Optional[str], *, remote: Optional[bool],
                 api_url: Optional[str], id_url: Optional[str], ca_file: Optional[str], timeout: float) -> None:
        w = _widgets()
        self._own_store = store is None
        self.store: _core.Store = _core.Store.open() if store is None else store
        self.remote = authorization.browser_is_remote() if remote is None else bool(remote)
        self._api_url, self._id_url, self._ca_file, self._timeout = api_url, id_url, ca_file, timeout
        self._editing: Optional[str] = None  # the saved name of the connection being edited
        self._conn: Optional[_core.Connection] = None
        self._thread: Optional[threading.Thread] = None
        self._cancel = threading.Event()
        self._pasting = False
        #: not_authorized, waiting, authorized, online, offline, failed, cancelled
        self.state = "not_authorized"

        wide = w.Layout(width="32em")
        self.connection = w.Dropdown(description="Connection", options=[], layout=wide,
                                     style={"description_width": "9em"})
        self.name = w.Text(description="Name *", placeholder="e.g. acme", layout=wide,
                           style={"description_width": "9em"})
        self.name_error = w.HTML()
        self.client = w.Dropdown(description="OAuth 2.0 client", options=[], layout=wide,
                                 style={"description_width": "9em"})
        self.client_name = w.Text(description="Client name *", placeholder="a name for this app", layout=wide,
                                  style={"description_width": "9em"})
        self.client_id = w.Text(description="Client ID *", layout=wide, style={"description_width": "9em"})
        self.client_secret = w.Password(description="Client secret *", layout=wide,
                                        style={"description_width": "9em"})
        self.new_client_box = w.VBox([self.client_name, self.client_id, self.client_secret])
        self.account_id = w.Password(description="Account ID *", layout=wide, style={"description_width": "9em"})
        self.account_hint = w.HTML()
        self.save = w.Button(description="Save and authorize", button_style="primary")
        self.test_button = w.Button(description="Test connection")
        self.cancel = w.Button(description="Cancel")
        self.error = w.HTML()
        self.status = w.HTML()
        self.link = w.HTML()
        self.paste = w.Text(description="Address", placeholder="paste the address your browser ends on, then Enter",
                            continuous_update=False, layout=w.Layout(width="48em", display="none"),
                            style={"description_width": "9em"})
        self.widget = w.VBox([self.connection, self.name, self.name_error, self.client, self.new_client_box,
                              self.account_id, self.account_hint, w.HBox([self.save, self.test_button, self.cancel]),
                              self.error, self.status, self.link, self.paste])

        self._refresh_choices()
        self.connection.observe(self._on_pick, names="value")
        self.client.observe(lambda _: self._show_client_fields(), names="value")
        self.name.observe(lambda _: self._check_name(), names="value")
        self.paste.observe(self._on_paste, names="value")
        self.save.on_click(lambda _: self.save_and_authorize())
        self.test_button.on_click(lambda _: self.test())
        self.cancel.on_click(lambda _: self.cancel_authorization())
        picked = NEW_CONNECTION
        if name is not None:
            try:
                existing = self.store.connection(name)
            except HarvestConnectError:  # NotFoundError: the store the form opened is not left open
                self.close()
                raise
            if existing.oauth_client is None:
                self.close()
                raise ValidationError(f"connection {existing.name!r} uses a personal access token, which this form "
                                      "does not edit; use Store.update_connection() or 'harvest-connect "
                                      "connections edit'")
            picked = existing.name
        self._unobserved(lambda: setattr(self.connection, "value", picked))
        self._load(picked)

    # --- display ---------------------------------------------------------------------

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        return f"ConnectionForm(connection={self._editing!r}, state={self.state!r})"

    def close(self) -> None:
        """Ends a pending authorization, closes the widgets and the store the form opened."""
        self.cancel_authorization()
        self.wait(10)
        self.widget.close()
        if self._own_store:
            self.store.close()

    def wait(self, timeout: float) -> bool:
        """Waits up to ``timeout`` s for a loopback authorization (and its test); True when none runs."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True

    # --- filling in --------------------------------------------------------------------

    def _refresh_choices(self) -> None:
        self.connection.options = ([("New connection", NEW_CONNECTION)]
                                   + [(c.name, c.name) for c in self.store.connections() if c.oauth_client])
        self.client.options = ([(c.name, c.name) for c in self.store.oauth_clients()]
                               + [("New client…", NEW_CLIENT)])

    def _on_pick(self, change: Dict[str, Any]) -> None:
        self._load(change["new"])

    def _load(self, picked: str) -> None:
        self.error.value = ""
        self.account_id.value = ""
        self.client_secret.value = ""
        if picked == NEW_CONNECTION or picked is None:
            self._editing, self._conn = None, None
            self.name.value = ""
            self.client.value = self.client.options[0][1]
            self.account_hint.value = ""
            self._set_status("not_authorized")
        else:
            conn = self.store.connection(picked)
            self._editing, self._conn = conn.name, conn
            self.name.value = conn.name
            self.client.value = conn.oauth_client
            self.account_hint.value = f"<small>{html.escape(_ACCOUNT_HINT)}</small>"
            self._set_status(conn.status if conn.status in ("authorized", "offline") else "not_authorized")
        self._show_client_fields()
        self._check_name()

    def _show_client_fields(self) -> None:
        self.new_client_box.layout.display = "" if self.client.value == NEW_CLIENT else "none"

    def _check_name(self) -> bool:
        name = self.name.value.strip()
        taken = {c.name for c in self.store.connections()}
        message = ""
        if name and name != self._editing and name in taken:
            message = f"a connection named {name!r} exists already: choose another name"
        self.name_error.value = _error_html(message)
        return not message

    # --- saving ------------------------------------------------------------------------

    def _validate(self) -> List[str]:
        problems = []
        if not self.name.value.strip():
            problems.append("Name: required")
        elif not self._check_name():
            problems.append("Name: " + f"{self.name.value.strip()!r} is taken")
        if self.client.value == NEW_CLIENT:
            client_name = self.client_name.value.strip()
            if not client_name:
                problems.append("Client name: required")
            elif client_name in {c.name for c in self.store.oauth_clients()}:
                problems.append(f"Client name: an OAuth client named {client_name!r} exists already; pick it in "
                                "the list or choose another name")
            if not self.client_id.value.strip():
                problems.append("Client ID: required")
            if not self.client_secret.value:
                problems.append("Client secret: required")
        if not self.account_id.value.strip():
            problems.append("Account ID: required" + (" (enter it again: it is never shown)" if self._editing else ""))
        return problems

    def _save(self) -> Optional[_core.Connection]:
        """Saves the client and the connection, both or neither; None after a shown error."""
        problems = self._validate()
        if problems:
            self.error.value = _error_html("; ".join(problems))
            return None
        name = self.name.value.strip()
        created_client: Optional[str] = None
        try:
            if self.client.value == NEW_CLIENT:
                created_client = self.client_name.value.strip()
                self.store.create_oauth_client(created_client, client_id=self.client_id.value.strip(),
                                               client_secret=self.client_secret.value)
            client = created_client or self.client.value
            if self._editing is None:
                conn = self.store.create_connection(name, oauth_client=client, account_id=self.account_id.value.strip(),
                                                    api_url=self._api_url, id_url=self._id_url)
            else:
                conn = self.store.update_connection(self._editing, account_id=self.account_id.value.strip(),
                                                    new_name=name if name != self._editing else None,
                                                    oauth_client=client)
        except HarvestConnectError as exc:
            if created_client is not None:  # nothing half-saved: the client goes with the connection
                try:
                    self.store.delete_oauth_client(created_client)
                except NotFoundError:  # pragma: no cover - it was not created after all
                    pass
            self.error.value = _error_html(str(exc))
            return None
        # Saved: the secrets leave the widgets (and so the widget state saved with the notebook).
        self.client_secret.value = ""
        self.account_id.value = ""
        self.client_id.value = ""
        self.client_name.value = ""
        self._editing, self._conn = conn.name, conn
        def refresh() -> None:
            self._refresh_choices()
            self.connection.value = conn.name

        self._unobserved(refresh)
        self.client.value = conn.oauth_client
        self.account_hint.value = f"<small>{html.escape(_ACCOUNT_HINT)}</small>"
        self._show_client_fields()
        self.name_error.value = ""
        return conn

    def _unobserved(self, change: Any) -> None:
        self.connection.unobserve(self._on_pick, names="value")
        try:
            change()
        finally:
            self.connection.observe(self._on_pick, names="value")

    def save_and_authorize(self) -> None:
        """The *Save and authorize* button: save, then start the authorization."""
        if self._thread is not None and self._thread.is_alive():
            self.error.value = _error_html("an authorization is pending: finish it in the browser or click Cancel")
            return
        self.error.value = ""
        conn = self._save()
        if conn is None:
            return
        self._set_status("waiting")
        if self.remote:
            self._start_paste(conn)
        else:
            self._start_loopback(conn)

    # --- authorizing -------------------------------------------------------------------

    def _show_link(self, url: str, how: str) -> None:
        self.link.value = (f'<p>{html.escape(how)}</p><p><a href="{html.escape(url, quote=True)}" target="_blank" '
                           'rel="noopener noreferrer">Authorize at Harvest</a></p>')

    def _start_paste(self, conn: _core.Connection) -> None:
        try:
            url = conn._authorization_url()
        except HarvestConnectError as exc:
            self._failed(exc)
            return
        self._show_link(url, "Open this link, sign in at Harvest and click 'Authorize application'; then paste "
                             "the address your browser ends on below (even if that page does not load).")
        self._pasting = True
        self.paste.layout.display = ""

    def _on_paste(self, change: Dict[str, Any]) -> None:
        address = str(change["new"]).strip()
        if not address or not self._pasting or self._conn is None:
            return
        self.paste.value = ""  # the code is single use, but it leaves the widget state at once
        try:
            self._conn.complete_authorization(address, ca_file=self._ca_file)
        except HarvestConnectError as exc:
            self._end_pending()
            self._failed(exc)
            return
        self._end_pending()
        self._authorized()

    def _start_loopback(self, conn: _core.Connection) -> None:
        try:
            flow = conn._start_authorization(timeout=float(self._timeout), ca_file=self._ca_file)
        except HarvestConnectError as exc:
            self._failed(exc)
            return
        self._show_link(flow.url, "Sign in at Harvest and click 'Authorize application' (the browser was opened "
                                  "where possible; else click the link):")
        self._cancel.clear()
        try:
            authorization.open_browser_hook(flow.url)
        except Exception:  # no browser here: the link is there to click
            pass
        self._thread = threading.Thread(target=self._wait_for_redirect, args=(flow,), daemon=True,
                                        name="harvest-connect form authorization")
        self._thread.start()

    def _wait_for_redirect(self, flow: Any) -> None:
        # Only this thread touches the flow: Cancel sets an event that is checked between polls.
        try:
            while not flow.poll(authorization.POLL_SECONDS):
                if self._cancel.is_set():
                    flow.cancel()
                    self.link.value = ""
                    self._set_status("cancelled")
                    return
        except HarvestConnectError as exc:
            self.link.value = ""
            self._failed(exc)
            return
        self.link.value = ""
        self._authorized()

    def _end_pending(self) -> None:
        self._pasting = False
        self.paste.layout.display = "none"
        self.link.value = ""

    def cancel_authorization(self) -> None:
        """The *Cancel* button: ends a pending authorization; the connection keeps what it had."""
        if self._thread is not None and self._thread.is_alive():
            self._cancel.set()
        elif self._pasting:
            self._end_pending()
            self._set_status("cancelled")

    def _authorized(self) -> None:
        assert self._conn is not None
        self._conn._reload()
        self._set_status("authorized")
        self.test()

    def _failed(self, exc: BaseException) -> None:
        self.error.value = _error_html(str(exc))
        self._set_status("failed")

    # --- testing -----------------------------------------------------------------------

    def test(self) -> Optional[_core.TestResult]:
        """The *Test connection* button: GET /users/me; the status shows online or offline."""
        if self._conn is None:
            self.error.value = _error_html("save the connection first")
            return None
        try:
            result = self._conn.test(ca_file=self._ca_file)
        except HarvestConnectError as exc:
            self._failed(exc)
            return None
        if result.ok:
            self._set_status("online", f"as {result.user}" if result.user else "")
        else:
            self._set_status("offline", result.message)
        return result

    def _set_status(self, state: str, detail: str = "") -> None:
        self.state = state
        texts = {"not_authorized": "not authorized", "waiting": "waiting for Harvest…", "authorized": "authorized",
                 "online": "authorized · online", "offline": "offline", "failed": "not authorized",
                 "cancelled": "not authorized (authorization cancelled)"}
        colours = {"authorized": "#1a7f37", "online": "#1a7f37", "offline": "#cf222e", "failed": "#cf222e",
                   "waiting": "#9a6700"}
        colour = colours.get(state, "#6e7781")
        text = texts.get(state, state) + (f" {detail}" if detail else "")
        self.status.value = f'<b>Status:</b> <span style="color:{colour}">{html.escape(text)}</span>'


def _error_html(message: str) -> str:
    return f'<span style="color:#cf222e">{html.escape(message)}</span>' if message else ""
