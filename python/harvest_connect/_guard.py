"""Argument hygiene for every call into the native module.

Two things pybind11 does on its own that we must not let through:

* a ``str`` that cannot be encoded as UTF-8 (lone surrogates, e.g. raw bytes decoded with
  ``surrogateescape`` from argv or a file name) fails overload resolution with a TypeError
  about "incompatible function arguments": here it is a :class:`ValidationError` naming the
  argument, as for any other invalid value;
* that TypeError ends with "Invoked with: ..." and the ``repr`` of *every* argument, secrets
  included (a client secret passed next to a wrongly typed ``pkce``): here the message keeps
  the signature help and drops the values;
* a number the native parameter cannot hold (``port=2**70``, ``prefetch_pages=-1``) fails
  the same way: here it is a :class:`ValidationError` naming the argument.

``install()`` wraps each public method of the native classes and each native function once,
at import; the wrappers keep ``__wrapped__``, ``__doc__`` and ``__name__``.
"""

from __future__ import annotations

import functools
import re
from typing import Any, Callable, Dict, List, Tuple

from .errors import ValidationError

_INVOKED_WITH = "\n\nInvoked with"


def _check_text(where: str, value: Any) -> None:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            exc = ValidationError(f"{where}: is not valid text (it holds a lone surrogate: bytes that are not "
                                  "UTF-8 were decoded into it); give it as proper UTF-8")
            exc.kind = "validation_failed"
            raise exc from None


def _parameters(function: Callable[..., Any]) -> List[Tuple[str, str]]:
    """(name, type) of pybind11's signature line ("f(self: X, name: str, *, a: int = 1) -> Y")."""
    first = (function.__doc__ or "").split("\n", 1)[0]
    inner = first[first.find("(") + 1:first.rfind(")")] if "(" in first else ""
    return re.findall(r"(?:^|, )(\w+): ([^=]+?)(?= = |, \w+: |$)", inner)


def _guard(function: Callable[..., Any], qualname: str) -> Callable[..., Any]:
    params = _parameters(function)
    names = [n for n, _ in params]
    int_params = {n for n, t in params if re.search(r"\bint\b|SupportsInt", t)}

    @functools.wraps(function)
    def call(*args: Any, **kwargs: Any) -> Any:
        for i, value in enumerate(args):
            _check_text(names[i] if i < len(names) else f"argument {i + 1}", value)
        for name, value in kwargs.items():
            _check_text(name, value)
        try:
            return function(*args, **kwargs)
        except TypeError as exc:
            text = str(exc)
            if _INVOKED_WITH not in text:
                raise
            # A number the native type cannot hold (negative for an unsigned parameter, or too
            # large) is a bad value, not a bad type. Numbers are never secrets: name them.
            numbers = [(names[i] if i < len(names) else f"argument {i + 1}", v) for i, v in enumerate(args)]
            numbers += list(kwargs.items())
            odd = [f"{n}: {v} is out of range" for n, v in numbers
                   if n in int_params and isinstance(v, int) and not isinstance(v, bool) and not 0 <= v < 2**31]
            if odd:
                bad = ValidationError("; ".join(odd))
                bad.kind = "validation_failed"
                raise bad from None
            raise TypeError(text.split(_INVOKED_WITH, 1)[0] +
                            f"\n\n{qualname} was called with arguments of the wrong types "
                            "(their values are not shown: they may be secrets)") from None

    call.__harvest_connect_guarded__ = True  # type: ignore[attr-defined]
    return call


def _is_native(obj: Any) -> bool:
    return type(obj).__name__ in ("builtin_function_or_method", "instancemethod")


def install(core: Any) -> None:
    for cls_name in dir(core):
        cls = getattr(core, cls_name)
        if isinstance(cls, type):
            attrs: Dict[str, Any] = dict(vars(cls))
            for name, attr in attrs.items():
                if name.startswith("__") and name not in ("__init__", "__enter__", "__exit__"):
                    continue
                if isinstance(attr, staticmethod) and _is_native(attr.__func__):
                    setattr(cls, name, staticmethod(_guard(attr.__func__, f"{cls_name}.{name}")))
                elif type(attr).__name__ == "instancemethod":
                    setattr(cls, name, _guard(attr.__func__, f"{cls_name}.{name}"))
        elif _is_native(cls) and not getattr(cls, "__harvest_connect_guarded__", False):
            setattr(core, cls_name, _guard(cls, cls_name))


