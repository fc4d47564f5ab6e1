"""Save and authorize: the Pythonic half of the OAuth 2.0 flow.

The engine (``_core``) does every check and holds every secret; this module adds what only
Python can: opening the system browser (:mod:`webbrowser`), staying responsive to Ctrl-C by
polling the engine in short slices, reading a pasted address from stdin when no browser can
be opened, and showing a clickable link in Jupyter.

These functions become methods of :class:`harvest_connect.Connection` (see ``__init__``).
The authorization URL holds the one-time ``state``: it is shown to the user (or handed to the
browser) and never logged. Log lines here carry no URL, code, token or account ID.
"""

from __future__ import annotations

import logging
import os
import select
import sys
import webbrowser
from typing import TYPE_CHECKING, Any, Callable, Mapping, Optional, TextIO

from . import _core

if TYPE_CHECKING:  # pragma: no cover
    from ._core import Connection

__all__ = ["authorize", "authorization_url", "authorize_by_paste", "in_kernel", "browser_is_remote"]

_log = logging.getLogger("harvest_connect.authorization")

#: How long each wait inside authorize() lasts: short, so that Ctrl-C is handled at once.
POLL_SECONDS = 0.2

#: Replaced by tests (and by programs that want another way to open the browser).
open_browser_hook: Callable[[str], bool] = lambda url: webbrowser.open(url, new=1, autoraise=True)  # noqa: E731


def in_kernel() -> bool:
    """True in a Jupyter kernel: ipykernel is loaded and the running shell has a kernel.

    Only looked up in ``sys.modules``: importing IPython here would be slow and would make a
    plain ``python`` session look like a kernel to nobody's benefit.
    """
    if "ipykernel" not in sys.modules:
        return False
    ipython = sys.modules.get("IPython")
    get_ipython = getattr(ipython, "get_ipython", None)
    if get_ipython is None:
        return False
    try:
        shell = get_ipython()
    except Exception:  # pragma: no cover - IPython internals
        return False
    return shell is not None and getattr(shell, "kernel", None) is not None


# The name older code in this package uses.
_in_notebook = in_kernel


def browser_is_remote(environ: Optional[Mapping[str, str]] = None) -> bool:
    """True when a browser started for the user would not run on the user's screen.

    A JupyterHub server or an SSH session runs on another computer than the user's browser; on
    Linux, no ``DISPLAY`` and no ``WAYLAND_DISPLAY`` means no screen to open a browser on. The
    loopback receiver on this computer cannot then be reached by the user's browser, so the
    address it ends up on has to be pasted.
    """
    env = os.environ if environ is None else environ
    if any(name.startswith("JUPYTERHUB_") for name in env):
        return True
    if env.get("SSH_CONNECTION") or env.get("SSH_TTY"):
        return True
    if sys.platform.startswith("linux") and not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")):
        return True
    return False


def _show_link(url: str, out: TextIO, intro: str) -> None:
    """Shows the URL: a clickable link in a notebook, plain text in a terminal."""
    if _in_notebook():
        try:
            import html
            import importlib

            # Optional and untyped in some versions: used as Any so that mypy agrees everywhere.
            ipython_display: Any = importlib.import_module("IPython.display")
            ipython_display.display(ipython_display.HTML(f'<p>{html.escape(intro)}</p><p><a href="{html.escape(url, quote=True)}" '
                         f'target="_blank" rel="noopener noreferrer">Authorize at Harvest</a></p>'))
            return
        except ImportError:  # pragma: no cover
            pass
    print(intro, file=out)
    print(url, file=out, flush=True)


def _stdin_line_ready(stdin: TextIO) -> Optional[bool]:
    """True when a line can be read without blocking; None when stdin cannot be polled."""
    try:
        fd = stdin.fileno()
    except (AttributeError, OSError, ValueError):
        return None
    try:
        ready, _, _ = select.select([fd], [], [], 0)
    except (OSError, ValueError):
        return None
    return bool(ready)


def authorize(self: "Connection", *, open_browser: bool = True, port: Optional[int] = None,
              timeout: float = _core.DEFAULTS["authorize"]["timeout"],
              ca_file: Optional[str] = None) -> "Connection":
    """Save and authorize: sign in at Harvest in the browser and click *Authorize application*.

    Starts a one-shot receiver on 127.0.0.1 (on the port of the OAuth client's redirect URI, or
    ``port``, or a free one), opens the browser at the authorization URL (``open_browser=False``
    prints it instead), waits up to ``timeout`` seconds for the redirect, checks it, exchanges
    the code, checks the account and stores the tokens sealed. When no browser can be opened,
    the URL is printed and the address the browser ends up on may be pasted on stdin.
    ``ca_file`` is an extra CA bundle (PEM) trusted for the token endpoint, e.g. a company's
    TLS-inspecting proxy or a test server; proxies come from ``HTTPS_PROXY``/``NO_PROXY``.

    In a Jupyter kernel whose browser is elsewhere (JupyterHub, SSH, no display: see
    :func:`browser_is_remote`) the loopback receiver cannot be reached, so the paste flow runs
    instead (:func:`authorize_by_paste`): a link, then ``input()`` for the address the browser
    ends up on. A kernel forwards ``input()`` to the notebook but not ``sys.stdin``.

    Raises :class:`AuthorizationError` (declined, wrong state, wrong account, ...),
    :class:`TokenError`, :class:`TimeoutError` or :class:`NetworkError` (e.g. the port is in
    use). Ctrl-C stops waiting. In every failure the connection keeps what it had.
    """
    kernel = in_kernel()
    if kernel and browser_is_remote():
        _log.debug("authorization of %r: Jupyter kernel with a remote browser: paste flow", self.name)
        return authorize_by_paste(self, ca_file=ca_file)
    flow = self._start_authorization(port=port, timeout=float(timeout), ca_file=ca_file)
    _log.debug("authorization of %r: receiver listening on 127.0.0.1 port %d", self.name, flow.port)
    try:
        opened = False
        if open_browser:
            try:
                opened = bool(open_browser_hook(flow.url))
            except webbrowser.Error:
                opened = False
            if not opened:
                _log.debug("authorization of %r: no browser could be opened", self.name)
        paste = False
        if opened:
            print("Opened the browser: sign in at Harvest and click 'Authorize application'.", file=sys.stderr)
        else:
            # A kernel's sys.stdin is not the notebook: never read it there.
            paste = not kernel and _stdin_line_ready(sys.stdin) is not None
            intro = "Open this address in a browser, sign in at Harvest and click 'Authorize application':"
            _show_link(flow.url, sys.stderr, intro)
            if paste:
                print("If that browser runs on another computer, paste the address it ends up on here and "
                      "press Enter.", file=sys.stderr, flush=True)
        while True:
            if paste and _stdin_line_ready(sys.stdin):
                line = sys.stdin.readline().strip()
                if line:
                    _log.debug("authorization of %r: completing with a pasted address", self.name)
                    flow.complete_pasted(line)
                    break
            if flow.poll(POLL_SECONDS):
                break
    except BaseException:
        flow.cancel()
        raise
    self._reload()
    _log.debug("authorization of %r: authorized", self.name)
    return self


def authorization_url(self: "Connection") -> str:
    """Start a paste-flow authorization and return the URL to open (remote notebooks, SSH).

    Open it in any browser, sign in at Harvest, click *Authorize application*, then pass the
    address the browser was sent to (even if that page fails to load) to
    :meth:`complete_authorization` within 10 minutes. The URL holds a one-time ``state``:
    share it with no one. In Jupyter the link also shows as a clickable link.
    """
    url: str = self._authorization_url()
    _log.debug("authorization of %r: pending authorization created (valid 10 minutes)", self.name)
    if _in_notebook():
        _show_link(url, sys.stdout, "Open this link, sign in at Harvest and click 'Authorize application'; then "
                                    "pass the address you end up on to complete_authorization():")
    return url


#: What the paste flow reads the address with; tests replace it. In a kernel, input() is the
#: one way to ask the notebook's user for a line.
read_line: Callable[[str], str] = input


def authorize_by_paste(self: "Connection", *, ca_file: Optional[str] = None,
                       out: Optional[TextIO] = None) -> "Connection":
    """Authorize where no browser can reach this computer: show the link, read the address back.

    Shows the authorization URL (a clickable link in Jupyter), then asks with ``input()`` for
    the address the browser ends up on after *Authorize application* (the page may fail to
    load: its address is what counts) and completes the authorization with it. An empty answer
    or Ctrl-C stops, leaving the connection as it was.
    """
    url: str = self._authorization_url()
    _log.debug("authorization of %r: paste flow started", self.name)
    _show_link(url, out or sys.stderr, "Open this address in a browser, sign in at Harvest and click "
                                       "'Authorize application':")
    print("Then paste the address the browser ends up on (even if that page does not load) and press Enter.",
          file=out or sys.stderr, flush=True)
    try:
        answer = read_line("address: ").strip()
    except EOFError:  # stdin closed: nothing was pasted
        answer = ""
    except NotImplementedError:  # ipykernel's StdinNotImplementedError: the front end takes no input
        from .errors import AuthorizationError

        raise AuthorizationError("this notebook front end cannot ask for input, so the address cannot be pasted "
                                 "here; use url = conn.authorization_url() and then "
                                 "conn.complete_authorization(address) in the next cell") from None
    if not answer:
        from .errors import AuthorizationError

        raise AuthorizationError("no address was pasted, so the connection was not authorized; run the "
                                 "authorization again and paste the address the browser ends up on")
    self.complete_authorization(answer, ca_file=ca_file)
    self._reload()
    _log.debug("authorization of %r: authorized", self.name)
    return self
