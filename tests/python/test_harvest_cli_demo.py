"""The CLI commands test/get, the demo, and the examples in docs/examples (the notebook
executed with nbclient; the C++ program built against the installed CMake package)."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Callable, List

import pytest

import harvest_connect as hc

from _harvest_support import Env, revoke_by_replaying_the_code

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def env(harvest_env: Callable[..., Env], monkeypatch: pytest.MonkeyPatch) -> Env:
    e = harvest_env(entries=1234)
    monkeypatch.setenv("HARVEST_CONNECT_KEY", e.key.to_base64())
    e.store.close()  # the CLI under test opens it
    return e


def run_cli(env: Env, *args: str) -> "subprocess.CompletedProcess[str]":
    return subprocess.run([sys.executable, "-m", "harvest_connect.cli", "--store", str(env.path), *args],
                          capture_output=True, text=True, timeout=120, env=env.child_env(), stdin=subprocess.DEVNULL)


def test_cli_test(env: Env) -> None:
    r = run_cli(env, "test", "acme")
    assert r.returncode == 0, r.stderr
    assert "online" in r.stdout


def test_cli_test_offline_exit_code(env: Env, tmp_path: Path) -> None:
    env.emu.set_faults(path_prefix="/v2/users/me", error_next=10, error_status=500)
    r = run_cli(env, "test", "acme")
    assert r.returncode == 1
    assert "offline" in r.stderr


def test_cli_test_and_get_exit_3_when_the_refresh_token_was_refused(env: Env) -> None:
    # Every token of "acme" revoked: the API refuses the access token, the token endpoint the
    # refresh token (invalid_grant): both commands say "authorize again" with exit code 3.
    with hc.Store.open(env.path, key=env.key) as store:  # the fixture closed its own for the CLI
        revoke_by_replaying_the_code(dataclasses.replace(env, store=store), "acme")
    r = run_cli(env, "test", "acme")
    assert r.returncode == 3, r.stderr
    assert "harvest-connect authorize acme" in r.stderr
    r = run_cli(env, "--json", "get", "acme", "/users/me")
    assert r.returncode == 3, r.stderr
    assert json.loads(r.stdout)["error"]["kind"] == "authorization_required"


def test_cli_get_prints_json(env: Env) -> None:
    r = run_cli(env, "get", "acme", "/users/me")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["id"] == env.emu.default_user()["id"]
    r = run_cli(env, "get", "acme", "/time_entries", "--param", "per_page=5")
    assert len(json.loads(r.stdout)["time_entries"]) == 5


def test_cli_get_all_writes_json_lines_without_a_progress_bar_off_a_terminal(env: Env, tmp_path: Path) -> None:
    out = tmp_path / "entries.jsonl"
    r = run_cli(env, "get", "acme", "/time_entries", "--all", "--param", "per_page=500", "--output", str(out))
    assert r.returncode == 0, r.stderr
    lines = out.read_text().splitlines()
    assert len(lines) == 1234
    ids = {json.loads(line)["id"] for line in lines}
    assert len(ids) == 1234
    assert "\r" not in r.stderr and "wrote 1,234 records" in r.stderr
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("entries.jsonl.part")] == []


def test_cli_get_format_csv_and_parquet_write_typed_flat_tables(env: Env, tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    pcsv = pytest.importorskip("pyarrow.csv")
    out = tmp_path / "entries.parquet"
    r = run_cli(env, "get", "acme", "/time_entries", "--format", "parquet", "--param", "per_page=500",
                "--output", str(out))
    assert r.returncode == 0, r.stderr
    assert "wrote 1,234 records" in r.stderr and "(parquet)" in r.stderr
    table = pq.read_table(out)
    table.validate(full=True)
    assert table.num_rows == 1234 and len(set(table.column("id").to_pylist())) == 1234
    assert str(table.schema.field("project.id").type) == "int64"
    assert str(table.schema.field("spent_date").type).startswith("date32")
    csv_out = tmp_path / "entries.csv"
    r = run_cli(env, "--json", "get", "acme", "/time_entries", "--format", "csv", "--output", str(csv_out))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"output": str(csv_out), "records": 1234, "format": "csv"}
    from_csv = pcsv.read_csv(csv_out)
    assert from_csv.num_rows == 1234 and "project.name" in from_csv.column_names
    assert [p.name for p in tmp_path.iterdir() if ".part-" in p.name] == []


def test_cli_get_table_formats_need_an_output_file(env: Env) -> None:
    r = run_cli(env, "get", "acme", "/time_entries", "--format", "csv")
    assert r.returncode == 2
    assert "--output FILE" in r.stderr
    assert not [e for e in env.emu.request_log() if e["target"].startswith("/v2/time_entries")]


def test_cli_get_table_format_without_pyarrow_names_the_extra(env: Env, tmp_path: Path) -> None:
    # A Python whose pyarrow import fails: the child gets a sitecustomize that blocks it.
    blocker = tmp_path / "block"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text(
        "import sys\n"
        "class _Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'pyarrow' or name.startswith('pyarrow.'):\n"
        "            raise ImportError('blocked for the test')\n"
        "sys.meta_path.insert(0, _Block())\n")
    child_env = env.child_env()
    child_env["PYTHONPATH"] = str(blocker) + os.pathsep + child_env.get("PYTHONPATH", "")
    out = tmp_path / "t.parquet"
    r = subprocess.run([sys.executable, "-m", "harvest_connect.cli", "--store", str(env.path), "get", "acme",
                        "/time_entries", "--format", "parquet", "--output", str(out)],
                       capture_output=True, text=True, timeout=120, env=child_env, stdin=subprocess.DEVNULL)
    assert r.returncode == 2, r.stderr
    assert "harvest-connect[arrow]" in r.stderr
    assert not out.exists()


def test_cli_get_all_to_stdout(env: Env) -> None:
    r = run_cli(env, "get", "acme", "/clients", "--all")
    assert r.returncode == 0, r.stderr
    assert all(json.loads(line)["id"] for line in r.stdout.splitlines())


def test_cli_get_bad_param_is_bad_input(env: Env) -> None:
    r = run_cli(env, "get", "acme", "/users/me", "--param", "nonsense")
    assert r.returncode == 2
    assert "NAME=VALUE" in r.stderr


def test_progress_bar_draws_only_on_a_terminal() -> None:
    from harvest_connect.cli.progress import ProgressBar

    class Tty:
        def __init__(self, tty: bool) -> None:
            self.tty, self.text = tty, ""

        def isatty(self) -> bool:
            return self.tty

        def write(self, s: str) -> None:
            self.text += s

        def flush(self) -> None:
            pass

    for tty in (True, False):
        stream = Tty(tty)
        bar = ProgressBar(stream)  # type: ignore[arg-type]
        bar(500, 1000)
        bar(1000, 1000)
        bar.close()
        assert ("1,000/1,000" in stream.text) is tty
        assert (stream.text == "") is (not tty)


@pytest.mark.slow
def test_demo_runs_end_to_end_and_leaves_nothing(tmp_path: Path) -> None:
    env = dict(os.environ, TMPDIR=str(tmp_path), HARVEST_CONNECT_HOME=str(tmp_path / "home"))
    env.pop("SSL_CERT_FILE", None)
    r = subprocess.run([sys.executable, "-m", "harvest_connect.cli", "demo", "--entries", "2000"],
                       capture_output=True, text=True, timeout=300, env=env, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stdout + r.stderr
    out = r.stdout
    for step in ("1. emulator", "4. authorized", "5. test            online", "6. time entries    2,000",
                 "not found in clear", "nothing was left behind"):
        assert step in out, out
    assert "FOUND IN CLEAR" not in out
    assert "█" in out  # the bars
    assert list(tmp_path.iterdir()) == [] or [p.name for p in tmp_path.iterdir()] == ["home"]


def test_make_demo_is_the_readmes_first_command() -> None:
    readme = (ROOT / "README.md").read_text()
    first = next(line.strip() for line in readme.splitlines() if line.strip().startswith("make "))
    assert first.split("#")[0].strip() == "make demo"
    assert "demo:" in (ROOT / "Makefile").read_text()


@pytest.mark.slow
def test_the_notebook_runs(tmp_path: Path) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(ROOT / "docs" / "examples" / "harvest_connect.ipynb", as_version=4)
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    outputs: List[str] = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            outputs.append(json.dumps(o))
    text = "\n".join(outputs)
    assert "3000 time entries" in text
    assert "image/png" in text  # the plot
    assert "application/vnd.jupyter.widget-view+json" in text  # the connection form, shown headless


@pytest.mark.slow
def test_the_cpp_example_builds_against_the_installed_package_and_runs(tmp_path: Path) -> None:
    build = ROOT / "build" / "cpp"
    cmake = shutil.which("cmake", path=str(Path(sys.executable).parent)) or shutil.which("cmake")
    if not (build / "CMakeCache.txt").exists() or cmake is None:
        pytest.skip("the C++ build tree is made by `make cpp` (make test builds it first)")
    prefix = tmp_path / "install"
    subprocess.run([cmake, "--install", str(build), "--prefix", str(prefix), "--component", "development"],
                   check=True, capture_output=True, text=True)
    example = tmp_path / "example"
    ninja = shutil.which("ninja", path=str(Path(sys.executable).parent))
    generator = ["-G", "Ninja", f"-DCMAKE_MAKE_PROGRAM={ninja}"] if ninja else []
    r = subprocess.run([cmake, "-S", str(ROOT / "docs" / "examples" / "cpp"), "-B", str(example), *generator,
                        f"-DCMAKE_PREFIX_PATH={prefix}"], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    r = subprocess.run([cmake, "--build", str(example), "-j", "2"], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    r = subprocess.run([str(example / "hours_by_project")], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "test: online" in r.stdout
    assert "3000 time entries" in r.stdout
