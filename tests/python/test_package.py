"""What the wheel ships: the private engine module, the Python package, stubs; no C++ dev files."""

import importlib.metadata
import os
import pathlib
import re
import stat
import subprocess
import sys

import harvest_connect as hc


def test_wheel_holds_no_cpp_development_files():
    root = pathlib.Path(hc.__file__).parent
    names = [p.name for p in root.rglob("*")]
    assert any(n.startswith("_core") and n.endswith(".so") for n in names)
    assert not [n for n in names if n.endswith((".hpp", ".h", ".a", ".cmake"))]


def test_public_names_are_exported():
    for name in hc.__all__:
        assert hasattr(hc, name), name


def test_cli_key_generate_writes_a_private_key_file(tmp_path):
    path = tmp_path / "cfg" / "master.key"
    result = subprocess.run([sys.executable, "-m", "harvest_connect.cli", "key", "generate", "--output", str(path)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    key_text = path.read_text().strip()
    assert key_text not in result.stdout + result.stderr
    assert hc.Key.from_base64(key_text).id in result.stdout


def test_cli_bad_usage_exits_2():
    result = subprocess.run([sys.executable, "-m", "harvest_connect.cli", "key", "frobnicate"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2


def test_version_is_the_one_from_cmake():
    # CMakeLists.txt's project(VERSION) is the one source: the wheel's metadata (pyproject.toml
    # reads it there) and _core.__version__ (the generated version.hpp) must both be it.
    text = (pathlib.Path(__file__).parents[2] / "CMakeLists.txt").read_text()
    cmake_version = re.search(r"project\(harvest_connect\s+VERSION\s+([0-9.]+)", text).group(1)
    assert hc.__version__ == cmake_version
    assert importlib.metadata.version("harvest-connect") == cmake_version


def test_the_wheel_checks_store_script_passes_here():
    """make wheel-check runs scripts/wheel-check-store.py in a minimal Debian; run here too, it
    cannot fall behind the API between those runs (it once read the write-only account_id)."""
    script = pathlib.Path(__file__).resolve().parents[2] / "scripts" / "wheel-check-store.py"
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "store round trip ok" in result.stdout
