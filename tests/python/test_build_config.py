"""What `pip install .` needs from the machine (issue 14 §2), checked by configuring the
checkout's CMake project (configure only, no compiling): Boost's headers come from the
boost-headers package when asked or when no Boost >= 1.81 is installed, and a missing
OpenSSL, SQLite or boost-headers stops CMake with one line naming what to install."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import List, Tuple

import pytest

ROOT = Path(__file__).resolve().parents[2]
CMAKE = shutil.which("cmake", path=str(Path(sys.executable).parent)) or shutil.which("cmake")

pytestmark = [
    pytest.mark.skipif(CMAKE is None or not (ROOT / "CMakeLists.txt").exists(),
                       reason="needs CMake and the source checkout"),
    # They run no code of ours, so the sanitized run (make py-test-sanitize) would only repeat them.
    pytest.mark.skipif("libasan" in os.environ.get("LD_PRELOAD", ""),
                       reason="build configuration checks: the plain suite runs them"),
]


def configure(tmp_path: Path, *defines: str) -> "subprocess.CompletedProcess[str]":
    args: List[str] = [str(CMAKE), "-S", str(ROOT), "-B", str(tmp_path / "build"),
                       "-DHARVEST_CONNECT_TESTS=OFF", *defines]
    return subprocess.run(args, capture_output=True, text=True, timeout=300)


def test_boost_headers_from_pypi_configure(tmp_path: Path) -> None:
    pytest.importorskip("boost_headers")  # a build requirement: in the venv that builds
    result = configure(tmp_path, "-DHARVEST_CONNECT_BOOST_FROM_PYPI=ON", f"-DPython_EXECUTABLE={sys.executable}")
    assert result.returncode == 0, result.stderr
    assert "headers from the boost-headers Python package" in result.stdout
    cache = (tmp_path / "build" / "CMakeCache.txt").read_text()
    assert "Boost_DIR:PATH=" in cache and "pkgRedirects" in cache


def system_boost_configs() -> List[Path]:
    """The installed Boost CMake packages (…/cmake/Boost-1.81.0) find_package could use."""
    found = []
    for root in ("/usr/lib", "/lib", "/usr/lib64", "/usr/local/lib"):
        for pattern in ("cmake/Boost-*", "*/cmake/Boost-*"):
            found += [d for d in Path(root).glob(pattern) if d.is_dir()]
    return found


def test_without_a_system_boost_the_build_takes_boost_headers(tmp_path: Path) -> None:
    pytest.importorskip("boost_headers")
    # The machine's own Boost, hidden from find_package (the default is AUTO).
    hidden = ";".join(str(d) for d in system_boost_configs())
    result = configure(tmp_path, f"-DPython_EXECUTABLE={sys.executable}", f"-DCMAKE_IGNORE_PATH={hidden}")
    assert result.returncode == 0, result.stderr
    assert "headers from the boost-headers Python package" in result.stdout


def test_a_system_boost_is_preferred(tmp_path: Path) -> None:
    def version(d: Path) -> Tuple[int, ...]:
        return tuple(int(x) for x in d.name.split("-")[1].split(".")[:2])
    if not [d for d in system_boost_configs() if version(d) >= (1, 81)]:
        pytest.skip("no Boost >= 1.81 installed here")
    result = configure(tmp_path, f"-DPython_EXECUTABLE={sys.executable}")
    assert result.returncode == 0, result.stderr
    assert "boost-headers" not in result.stdout


def test_no_boost_and_no_boost_headers_is_one_line_naming_the_fix(tmp_path: Path) -> None:
    # An interpreter that cannot import boost_headers: python3 -I ignores the venv's paths.
    fake = tmp_path / "python-without-boost-headers"
    fake.write_text(f"#!/bin/sh\nexec {sys.executable} -I -S \"$@\"\n")
    fake.chmod(0o755)
    result = configure(tmp_path, "-DHARVEST_CONNECT_BOOST_FROM_PYPI=ON", f"-DPython_EXECUTABLE={fake}")
    assert result.returncode != 0
    assert "has no boost-headers package: pip install 'boost-headers>=1.81,<1.83'" in result.stderr
    assert "libboost1.81-dev" in result.stderr and "brew install boost" in result.stderr


@pytest.mark.parametrize("package, names", [
    ("OpenSSL", ["install libssl-dev (Debian/Ubuntu), openssl-devel (Fedora)", "brew install openssl@3"]),
    ("SQLite3", ["install libsqlite3-dev (Debian/Ubuntu), sqlite-devel (Fedora)", "brew install sqlite"]),
])
def test_a_missing_system_library_is_one_line_naming_the_package(tmp_path: Path, package: str,
                                                                 names: List[str]) -> None:
    result = configure(tmp_path, f"-DCMAKE_DISABLE_FIND_PACKAGE_{package}=TRUE")
    assert result.returncode != 0
    for name in names:
        assert name in result.stderr.replace("\n  ", " "), result.stderr


def make_dry_run(target: str) -> str:
    """The commands `make TARGET` would run from scratch (nothing is run: -n; -B as if fresh)."""
    make = shutil.which("make")
    if make is None:
        pytest.skip("needs make")
    result = subprocess.run([make, "-n", "-B", target], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_make_python_installs_only_what_building_and_using_need() -> None:
    commands = make_dry_run("python")
    assert "scripts/build-requirements.py" in commands
    for test_only in ("test-requirements.py", "chromium", "clang"):
        assert test_only not in commands, test_only
    demo = make_dry_run("demo")
    assert "test-requirements.py" not in demo and "harvest-connect demo" in demo


def test_make_py_test_still_installs_the_test_tools() -> None:
    commands = make_dry_run("py-test")
    assert "test-requirements.py" in commands and "chromium" in commands
