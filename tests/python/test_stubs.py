"""The shipped .pyi stubs must match the native module, so they cannot drift."""

import ast
import importlib.resources as resources
import pathlib
import subprocess
import sys

from harvest_connect import _core

ALLOWLIST = pathlib.Path(__file__).with_name("stubtest-allowlist.txt")


def test_core_stubs_match_the_module():
    result = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "harvest_connect._core", "--allowlist", str(ALLOWLIST)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_stub_class_exists_in_the_module():
    # The allowlist hides class-level metaclass noise, so check class presence here.
    stub = resources.files("harvest_connect").joinpath("_core.pyi").read_text()
    classes = [node.name for node in ast.parse(stub).body if isinstance(node, ast.ClassDef)]
    assert classes
    for name in classes:
        assert isinstance(getattr(_core, name, None), type), f"{name} is in _core.pyi but not in _core"


def test_package_ships_typing_marker_and_stubs():
    files = resources.files("harvest_connect")
    assert files.joinpath("py.typed").is_file()
    assert files.joinpath("_core.pyi").is_file()
