"""The shipped .pyi stubs must match the native module, so they cannot drift.

stubtest checks that names exist, but it cannot see a pybind11 function's parameters (they
live only in its ``__doc__``), so the signatures are compared here: every function and method
of ``_core.pyi`` against the signature line pybind11 writes into ``__doc__`` (or, for the
methods the package adds in Python, against ``inspect.signature``): parameter names, order,
positional or keyword-only, and default values. And mypy --strict checks the package.
"""

from __future__ import annotations

import ast
import importlib.resources as resources
import inspect
import pathlib
import subprocess
import sys
from typing import Any, Dict, List, Optional, Tuple

import pytest

import harvest_connect as hc
from harvest_connect import _core
from harvest_connect import testing as hc_testing

ALLOWLIST = pathlib.Path(__file__).with_name("stubtest-allowlist.txt")
PACKAGE_SOURCE = pathlib.Path(__file__).resolve().parents[2] / "python" / "harvest_connect"

# (name, "positional" | "keyword", default) where default is NO_DEFAULT, or the value.
NO_DEFAULT = object()
UNKNOWN = object()  # a default that is not a literal (the comparison then only needs one)
Param = Tuple[str, str, Any]


def _literal(node: Optional[ast.expr]) -> Any:
    if node is None:
        return NO_DEFAULT
    try:
        return ast.literal_eval(node)
    except ValueError:
        return UNKNOWN


def _params_of(args: ast.arguments, drop_self: bool) -> List[Param]:
    positional = args.posonlyargs + args.args
    defaults: List[Optional[ast.expr]] = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    out: List[Param] = [(a.arg, "positional", _literal(d)) for a, d in zip(positional, defaults)]
    out += [(a.arg, "keyword", _literal(d)) for a, d in zip(args.kwonlyargs, args.kw_defaults)]
    if drop_self and out and out[0][0] == "self":
        out = out[1:]
    return out


def _doc_params(function: Any, drop_self: bool) -> Optional[List[Param]]:
    """The parameters of pybind11's signature line, or None when the doc has none."""
    name = getattr(function, "__name__", "")
    first = (function.__doc__ or "").split("\n", 1)[0]
    if not first.startswith(name + "("):
        return None
    tree = ast.parse("def " + first + ": pass")
    func = tree.body[0]
    assert isinstance(func, ast.FunctionDef)
    return _params_of(func.args, drop_self)


def _python_params(function: Any, drop_self: bool) -> List[Param]:
    out: List[Param] = []
    for p in inspect.signature(function).parameters.values():
        kind = "keyword" if p.kind is inspect.Parameter.KEYWORD_ONLY else "positional"
        out.append((p.name, kind, NO_DEFAULT if p.default is inspect.Parameter.empty else p.default))
    if drop_self and out and out[0][0] == "self":
        out = out[1:]
    return out


def _runtime_params(owner: Any, name: str) -> Optional[List[Param]]:
    """The runtime parameters of owner.name: pybind11's doc, or Python's signature."""
    raw = inspect.getattr_static(owner, name)
    drop_self = isinstance(owner, type) and not isinstance(raw, staticmethod)
    function = raw.__func__ if isinstance(raw, staticmethod) else raw
    function = getattr(function, "__wrapped__", function)  # _guard's wrapper keeps the native one
    if isinstance(function, property):
        return None
    doc = _doc_params(function, drop_self)
    if doc is not None:
        return doc
    return _python_params(function, drop_self)


def _same(stub: List[Param], runtime: List[Param]) -> bool:
    if [(n, k) for n, k, _ in stub] != [(n, k) for n, k, _ in runtime]:
        return False
    for (_, _, a), (_, _, b) in zip(stub, runtime):
        if (a is NO_DEFAULT) != (b is NO_DEFAULT):
            return False
        if a is not NO_DEFAULT and a is not UNKNOWN and b is not UNKNOWN:
            # Tuples and lists compare by value; pybind11 writes a tuple default as a tuple.
            if (list(a) if isinstance(a, (tuple, list)) else a) != (list(b) if isinstance(b, (tuple, list)) else b):
                return False
            if type(a) is not type(b) and not (isinstance(a, (tuple, list)) and isinstance(b, (tuple, list))):
                return False
    return True


def _stub_functions(stub_text: str) -> List[Tuple[Optional[str], ast.FunctionDef]]:
    """(class name or None, def) for every function of the stub."""
    out: List[Tuple[Optional[str], ast.FunctionDef]] = []
    for node in ast.parse(stub_text).body:
        if isinstance(node, ast.FunctionDef):
            out.append((None, node))
        elif isinstance(node, ast.ClassDef):
            out += [(node.name, f) for f in node.body if isinstance(f, ast.FunctionDef)]
    return out


def signature_mismatches(stub_text: str) -> List[str]:
    """Every way the stub's functions differ from the module's: missing or different."""
    problems: List[str] = []
    for class_name, func in _stub_functions(stub_text):
        owner: Any = _core if class_name is None else getattr(_core, class_name, None)
        where = func.name if class_name is None else f"{class_name}.{func.name}"
        if owner is None or not hasattr(owner, func.name):
            problems.append(f"{where}: in _core.pyi but not in _core")
            continue
        if any(isinstance(d, ast.Name) and d.id == "property" for d in func.decorator_list):
            if not isinstance(inspect.getattr_static(owner, func.name), property):
                problems.append(f"{where}: a property in _core.pyi but not in _core")
            continue
        is_static = any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in func.decorator_list)
        stub = _params_of(func.args, drop_self=class_name is not None and not is_static)
        runtime = _runtime_params(owner, func.name)
        if runtime is None:
            problems.append(f"{where}: not a function in _core")
        elif not _same(stub, runtime):
            problems.append(f"{where}: _core.pyi has {stub}, the module {runtime}")
    return problems


def _stub_names(stub_text: str) -> Dict[Optional[str], set]:
    names: Dict[Optional[str], set] = {None: set()}
    for node in ast.parse(stub_text).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names[None].add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names[None].add(node.target.id)
        if isinstance(node, ast.ClassDef):
            names[node.name] = {f.name for f in node.body if isinstance(f, ast.FunctionDef)}
    return names


STUB = resources.files("harvest_connect").joinpath("_core.pyi").read_text()

# Dunders pybind11 adds to every class, and the ones that are the plain object protocol: a
# stub need not repeat them. __getattr__ is left out of the stub on purpose: declared there,
# it would let mypy accept any attribute (Connection's only says account_id is write-only).
IMPLICIT_DUNDERS = {"__init__", "__repr__", "__getattr__", "__new__", "__doc__", "__module__", "__dict__",
                    "__weakref__", "__setstate__"}


def test_core_stubs_match_the_module():
    result = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "harvest_connect._core", "--allowlist", str(ALLOWLIST)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_binding_signature_matches_the_stub():
    assert signature_mismatches(STUB) == []


def test_every_native_function_and_method_is_in_the_stub():
    names = _stub_names(STUB)
    missing = []
    for name, obj in vars(_core).items():
        if name.startswith("__"):
            continue
        if isinstance(obj, type):
            if name not in names:
                missing.append(name)
                continue
            for member, raw in vars(obj).items():
                if member in IMPLICIT_DUNDERS or member.startswith("_pybind11"):
                    continue
                if callable(raw) or isinstance(raw, (property, staticmethod)):
                    if member not in names[name]:
                        missing.append(f"{name}.{member}")
        elif name not in names[None]:
            missing.append(name)
    assert missing == []


def test_the_check_fails_when_a_binding_parameter_is_renamed():
    # The stub and the binding must agree name for name: a rename on either side is caught.
    renamed = STUB.replace("def from_base64(text: str)", "def from_base64(base64_text: str)")
    assert renamed != STUB
    assert any("Key.from_base64" in p for p in signature_mismatches(renamed))
    moved = STUB.replace("client_id: str, client_secret: str, provider", "client_secret: str, client_id: str, provider")
    assert moved != STUB
    assert any("Store.create_oauth_client" in p for p in signature_mismatches(moved))
    positional = STUB.replace("def complete_authorization(self, redirected_url: str, *, ca_file",
                              "def complete_authorization(self, redirected_url: str, ca_file")
    assert positional != STUB
    assert any("Connection.complete_authorization" in p for p in signature_mismatches(positional))
    default = STUB.replace("prefetch_pages: int = 2, refresh_leeway: float = 300.0, ca_file: Optional[str] = None,\n"
                           "             timeout: float = 60.0) -> _HarvestClient",
                           "prefetch_pages: int = 1, refresh_leeway: float = 300.0, ca_file: Optional[str] = None,\n"
                           "             timeout: float = 60.0) -> _HarvestClient")
    assert default != STUB
    assert any("Connection._api" in p for p in signature_mismatches(default))


def _defaults(params: List[Param]) -> Dict[str, Any]:
    return {n: d for n, _, d in params if d is not NO_DEFAULT}


def test_python_defaults_are_the_cpp_option_structs():
    d = _core.DEFAULTS
    # The values the C++ structs hold (harvest::ConnectOptions, default_test_timeout,
    # oauth::default_authorization_timeout): two pages ahead, one exchange at most 60 s.
    assert d["api"]["prefetch_pages"] == 2 and d["api"]["timeout"] == 60.0 and d["api"]["deadline"] == 120.0
    assert d["test"]["timeout"] == 30.0 and d["authorize"]["timeout"] == 300.0
    # Every Python-facing default is the struct's, not a copy of it.
    assert _defaults(_python_params(hc.Connection.api, True)) == d["api"]
    assert _defaults(_runtime_params(_core.Connection, "_api") or []) == d["api"]
    assert _defaults(_runtime_params(_core.Connection, "test") or []) == d["test"]
    assert _defaults(_python_params(hc.Connection.authorize, True))["timeout"] == d["authorize"]["timeout"]
    assert _defaults(_python_params(hc_testing.HarvestEmulator.__init__, True)) == {
        k: v for k, v in d["emulator"].items() if k != "host"}
    assert _defaults(_runtime_params(_core.Emulator, "__init__") or []) == d["emulator"]
    assert _defaults(_python_params(hc_testing.HarvestEmulator.set_faults, True)) == d["faults"]
    assert _defaults(_runtime_params(_core.Emulator, "set_faults") or []) == d["faults"]


def test_every_stub_class_exists_in_the_module():
    # The allowlist hides class-level metaclass noise, so check class presence here.
    classes = [node.name for node in ast.parse(STUB).body if isinstance(node, ast.ClassDef)]
    assert classes
    for name in classes:
        assert isinstance(getattr(_core, name, None), type), f"{name} is in _core.pyi but not in _core"


def test_package_ships_typing_marker_and_stubs():
    files = resources.files("harvest_connect")
    assert files.joinpath("py.typed").is_file()
    assert files.joinpath("_core.pyi").is_file()


@pytest.mark.skipif(not PACKAGE_SOURCE.is_dir(), reason="needs the source tree (python/harvest_connect)")
def test_the_package_passes_mypy_strict():
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(PACKAGE_SOURCE)],
        capture_output=True, text=True, timeout=600, cwd=PACKAGE_SOURCE.parent,
    )
    assert result.returncode == 0, result.stdout + result.stderr
