#!/usr/bin/env python3
"""A private PostgreSQL cluster for the tests: Debian's initdb and pg_ctl, listening on 127.0.0.1
only (no Unix socket), on a free port, with scram-sha-256 authentication.

    python3 tests/support/postgres_cluster.py start DIR    # prints the URL; writes DIR/url
    python3 tests/support/postgres_cluster.py create-database DIR NAME   # prints its URL
    python3 tests/support/postgres_cluster.py stop DIR

    with PostgresCluster(DIR) as cluster:      # or cluster.start() ... cluster.close()
        url = cluster.create_database("t1")    # postgresql://harvest_connect@127.0.0.1:PORT/t1
        cluster.kill(); cluster.restart()

The cluster has two roles: `postgres` (the bootstrap superuser, used only here to create roles
and databases) and `harvest_connect` (LOGIN CREATEDB, no superuser: what a deployment gives
the hosts), which owns the database `harvest_connect`. Both passwords are random and are
written only to DIR/pgpass (0600, libpq's format), never to a command line, a log or an
exception: initdb reads the superuser's from a file that is removed at once, and
harvest_connect's reaches the server only as a SCRAM verifier computed here. Clients find the
password through PGPASSFILE=DIR/pgpass; the URLs carry none.

PostgreSQL refuses to run as root, so as root the server runs as the system user `harvest-pg`
(created when missing; `nobody` where useradd is not available). Its data directory is then
DIR/data when that user can reach DIR, or else a private directory under /tmp that `stop` (the
CLI) and close() (the API) remove. Binaries: the highest version under /usr/lib/postgresql.

The cluster never outlives the process that started it through the API (atexit); a cluster
started by the CLI runs until `stop DIR`.
"""

from __future__ import annotations

import argparse
import atexit
import base64
import grp
import hashlib
import hmac
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Dict, List, Optional, Sequence, Set, Tuple, Type

ROLE = "harvest_connect"
DATABASE = "harvest_connect"
ADMIN = "postgres"
SERVER_USER = "harvest-pg"  # the system user the server runs as when the tests run as root
START_TIMEOUT = 60  # seconds: pg_ctl -w's bound, and the bound of every wait here
_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
# The first initdb of this process, per (bin directory, server account): its data directory,
# never started, and its superuser's password (in memory only).
_TEMPLATES: Dict[Tuple[str, Optional[int]], Tuple[Path, str]] = {}


class ClusterError(RuntimeError):
    """The cluster could not be set up, started or stopped (the message says why; it never
    holds a password)."""


def bin_dir() -> Path:
    """The bin directory of the highest PostgreSQL version Debian installed."""
    found = []
    for d in Path("/usr/lib/postgresql").glob("*/bin"):
        if (d / "initdb").is_file() and (d / "pg_ctl").is_file():
            try:
                found.append((float(d.parent.name), d))
            except ValueError:
                continue
    if not found:
        raise ClusterError("no PostgreSQL server under /usr/lib/postgresql/*/bin: install Debian's "
                           "`postgresql` package (make test-deps does)")
    return max(found)[1]


def available() -> Optional[str]:
    """None when a cluster can be started here, else the reason it cannot (for a skip)."""
    try:
        bin_dir()
    except ClusterError as exc:
        return str(exc)
    return None


def scram_verifier(password: str, iterations: int = 4096) -> str:
    """The SCRAM-SHA-256 verifier PostgreSQL stores for `password` (RFC 5802 / RFC 7677), so the
    password itself never travels to the server."""
    salt = secrets.token_bytes(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", "sha256").digest()
    b64 = lambda b: base64.b64encode(b).decode()  # noqa: E731
    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


def free_port(hosts: Sequence[str] = ("127.0.0.1",)) -> int:
    """A TCP port free on every one of `hosts` right now (the caller retries if it is taken
    before the server binds it)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind((hosts[0], 0))
            port = s.getsockname()[1]
        try:
            for host in hosts[1:]:
                with socket.socket() as t:
                    t.bind((host, port))
        except OSError:
            continue
        return int(port)
    raise ClusterError(f"no TCP port free on all of {', '.join(hosts)}")


def program_env() -> Dict[str, str]:
    """The environment PostgreSQL's programs run with: none of the caller's libpq settings,
    and no preloaded sanitizer runtime (make py-test-sanitize preloads ASan into the tests;
    uninstrumented servers need none of it)."""
    dropped = ("LD_PRELOAD", "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS")
    return {k: v for k, v in os.environ.items() if not k.startswith("PG") and k not in dropped}


def _pgpass_field(value: str) -> str:
    return value.replace("\\", "\\\\").replace(":", "\\:")


def _server_account() -> Optional[pwd.struct_passwd]:
    """The unprivileged account the server runs as: None = the current user (not root)."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(SERVER_USER)
    except KeyError:
        pass
    useradd = shutil.which("useradd") or "/usr/sbin/useradd"
    if os.path.exists(useradd):
        # Several test processes may race to create it: whoever loses finds it made.
        subprocess.run([useradd, "--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent",
                        "--shell", "/usr/sbin/nologin", "--comment", "harvest-connect test PostgreSQL", SERVER_USER],
                       capture_output=True, check=False)
        try:
            return pwd.getpwnam(SERVER_USER)
        except KeyError:
            pass
    return pwd.getpwnam("nobody")


def _reachable_by(path: Path, account: pwd.struct_passwd) -> bool:
    """Whether `account` can search every directory from / down to `path`."""
    groups = {account.pw_gid} | {g.gr_gid for g in grp.getgrall() if account.pw_name in g.gr_mem}
    for p in [path, *path.parents]:
        st = p.stat()
        if st.st_uid == account.pw_uid:
            ok = st.st_mode & stat.S_IXUSR
        elif st.st_gid in groups:
            ok = st.st_mode & stat.S_IXGRP
        else:
            ok = st.st_mode & stat.S_IXOTH
        if not ok:
            return False
    return True


def _proc_cwd_pids(directory: Path) -> Set[int]:
    """Every process whose working directory is `directory`: PostgreSQL's postmaster and all of
    its children chdir to the data directory, so this finds a cluster's processes even after
    a killed postmaster left its children to init."""
    target = str(directory.resolve())
    pids = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.readlink(f"/proc/{entry}/cwd") == target:
                    pids.add(int(entry))
            except OSError:
                continue
    return pids


def _wait(condition, what: str, timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise ClusterError(f"timed out after {timeout:.0f} s waiting until {what}")
        time.sleep(0.02)  # poll interval, bounded by the deadline


class PostgresCluster:
    """A private cluster whose state lives in `directory` (made if missing; a temporary one
    removed at close() when None). `listen` adds addresses beside 127.0.0.1 (a network
    namespace's veth end); `networks` are the client networks pg_hba.conf lets in beside it."""

    # Keep the first initdb of the process for the next clusters (the CLI, which makes one, does not).
    keep_template = True

    def __init__(self, directory: Optional[os.PathLike] = None, *, listen: Sequence[str] = (),
                 networks: Sequence[str] = ()) -> None:
        self._own_directory = directory is None
        self.directory = Path(tempfile.mkdtemp(prefix="hc-pg-state-") if directory is None else directory).resolve()
        self.directory.mkdir(parents=True, exist_ok=True)
        self.listen = ["127.0.0.1", *listen]
        self.networks = ["127.0.0.1/32", *networks]
        self.bin = bin_dir()
        self.account = _server_account()
        self.port: Optional[int] = None
        self._state_file = self.directory / "cluster.json"
        self._registered = False
        state = self._load_state()
        self.home = Path(state["home"]) if state else None  # holds data/ and postgres.log
        if state:
            self.port = int(state["port"])

    # -- paths -----------------------------------------------------------------------------
    @property
    def data(self) -> Path:
        assert self.home is not None
        return self.home / "data"

    @property
    def log_file(self) -> Path:
        assert self.home is not None
        return self.home / "postgres.log"

    @property
    def pgpass(self) -> Path:
        return self.directory / "pgpass"

    def url(self, database: str = DATABASE, host: str = "127.0.0.1") -> str:
        """The password-less URL of `database` as harvest_connect (the password: PGPASSFILE)."""
        if self.port is None:
            raise ClusterError("the cluster was never started")
        return f"postgresql://{ROLE}@{host}:{self.port}/{database}"

    def env(self) -> Dict[str, str]:
        """What a client's environment needs beside the URL."""
        return {"PGPASSFILE": str(self.pgpass)}

    # -- lifecycle -------------------------------------------------------------------------
    def __enter__(self) -> "PostgresCluster":
        self.start()
        return self

    def __exit__(self, exc_type: Optional[Type[BaseException]], exc: Optional[BaseException],
                 tb: Optional[TracebackType]) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"PostgresCluster({str(self.directory)!r}, port={self.port}, running={self.running})"

    @property
    def running(self) -> bool:
        return self.home is not None and bool(self.pids())

    def pids(self) -> Set[int]:
        """The cluster's processes (postmaster and children)."""
        if self.home is None or not self.data.exists():
            return set()
        return _proc_cwd_pids(self.data)

    def start(self, *, same_port: bool = False) -> str:
        """initdb (the first time), then start the server; returns the URL of `harvest_connect`.
        The port of the last start is tried first; with same_port (restart()) no other is
        taken, so clients reconnect to the same URL."""
        if not self._registered:
            atexit.register(self.close)
            self._registered = True
        if self.home is None or not (self.data / "PG_VERSION").exists():
            self._init()
        if self.running:
            return self.url()
        self._write_hba()
        keep_port = same_port and self.port is not None
        for attempt in range(5):
            if self.port is None or (attempt > 0 and not keep_port):
                self.port = free_port(self.listen)
            self._write_settings()
            result = self._as_server([str(self.bin / "pg_ctl"), "start", "-D", str(self.data), "-l",
                                      str(self.log_file), "-w", "-t", str(START_TIMEOUT), "-s"])
            if result.returncode == 0:
                break
            in_use = "Address already in use" in self._log_tail()
            if not in_use or keep_port:
                raise ClusterError(f"pg_ctl start failed (exit {result.returncode}): {result.stderr.strip()}\n"
                                   f"server log {self.log_file}:\n{self._log_tail()}")
        else:
            raise ClusterError("the server found its port taken five times in a row")
        self._write_pgpass()
        self._save_state()
        (self.directory / "url").write_text(self.url() + "\n")
        if not self._role_exists():
            self._create_role()
        return self.url()

    def stop(self) -> None:
        """Fast shutdown (sessions are ended, no transaction survives), then wait until every
        process of the cluster is gone. Idempotent."""
        if self.home is None or not self.data.exists():
            return
        if (self.data / "postmaster.pid").exists() and self.running:
            result = self._as_server([str(self.bin / "pg_ctl"), "stop", "-D", str(self.data), "-m", "fast",
                                      "-w", "-t", str(START_TIMEOUT), "-s"])
            if result.returncode != 0 and self.running:
                raise ClusterError(f"pg_ctl stop failed (exit {result.returncode}): {result.stderr.strip()}")
        _wait(lambda: not self.pids(), "the cluster's processes exited")

    def kill(self) -> None:
        """SIGKILL the postmaster, as a crash would, and every backend with it (a crashed
        server's connections end at once); waits until they are gone. The next start()
        recovers from the WAL."""
        pid_file = self.data / "postmaster.pid" if self.home else None
        if pid_file is None or not pid_file.exists():
            return
        postmaster = int(pid_file.read_text().split("\n", 1)[0])
        try:
            os.kill(postmaster, signal.SIGSTOP)  # no new backend is forked while we list them
        except ProcessLookupError:
            pass
        for pid in sorted(self.pids() | {postmaster}, key=lambda p: p != postmaster):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        _wait(lambda: not self.pids(), "the killed cluster's processes were gone")
        # Dead, but maybe not yet reaped: a zombie postmaster still answers kill(pid, 0), and
        # PostgreSQL would take its stale lock file for a live server. Nothing of the cluster
        # runs any more (checked above), so the lock file is stale: remove it, as an
        # administrator does after a crash.
        pid_file.unlink(missing_ok=True)

    def restart(self) -> str:
        """stop() then start() on the same port."""
        self.stop()
        return self.start(same_port=True)

    def close(self) -> None:
        """Stop, and remove what only this cluster used: a data directory outside `directory`,
        and `directory` itself when it was temporary. Idempotent."""
        self.stop()
        if self.home is not None and self.home != self.directory and self.home.exists():
            shutil.rmtree(self.home, ignore_errors=True)
            self.home = None
            self._state_file.unlink(missing_ok=True)
        if self._own_directory and self.directory.exists():
            shutil.rmtree(self.directory, ignore_errors=True)

    # -- databases -------------------------------------------------------------------------
    def create_database(self, name: str) -> str:
        """A new database owned by harvest_connect; returns its URL."""
        if not _NAME.match(name):
            raise ClusterError(f"database name {name!r}: use lower-case letters, digits and _")
        self.psql(f"CREATE DATABASE {name} OWNER {ROLE}")
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop it, ending its sessions first (FORCE)."""
        if not _NAME.match(name):
            raise ClusterError(f"database name {name!r}: use lower-case letters, digits and _")
        self.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def psql(self, sql: str, *, user: str = ADMIN, database: str = "postgres") -> str:
        """Run SQL through psql (libpq, over TCP, the password from DIR/pgpass); returns its
        unaligned output. The SQL goes on stdin, never on the command line."""
        if self.port is None:
            raise ClusterError("the cluster was never started")
        env = program_env()
        env.update(PGPASSFILE=str(self.pgpass), PGHOST="127.0.0.1", PGPORT=str(self.port), PGUSER=user,
                   PGDATABASE=database, PGCONNECT_TIMEOUT="10")
        result = subprocess.run([str(self.bin / "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"],
                                input=sql, env=env, capture_output=True, text=True, timeout=START_TIMEOUT)
        if result.returncode != 0:
            raise ClusterError(f"psql failed (exit {result.returncode}): {result.stderr.strip()}")
        return result.stdout

    # -- internals -------------------------------------------------------------------------
    def _load_state(self) -> Optional[dict]:
        try:
            return json.loads(self._state_file.read_text())
        except FileNotFoundError:
            return None

    def _save_state(self) -> None:
        self._state_file.write_text(json.dumps({"home": str(self.home), "port": self.port}) + "\n")

    def _passwords(self) -> Dict[str, str]:
        out = {}
        for line in self.pgpass.read_text().splitlines():
            fields = re.split(r"(?<!\\):", line)
            if len(fields) == 5:
                out[fields[3]] = fields[4].replace("\\:", ":").replace("\\\\", "\\")
        return out

    def _write_pgpass(self, passwords: Optional[Dict[str, str]] = None) -> None:
        passwords = passwords or self._passwords()
        text = "".join(f"*:{self.port or '*'}:*:{_pgpass_field(user)}:{_pgpass_field(pw)}\n"
                       for user, pw in passwords.items())
        fd = os.open(self.pgpass.with_suffix(".tmp"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(self.pgpass.with_suffix(".tmp"), self.pgpass)

    def _as_server(self, argv: List[str], **kwargs) -> "subprocess.CompletedProcess[str]":
        """Run a server program as the unprivileged account (PostgreSQL refuses root)."""
        env = program_env()
        env["LC_ALL"] = "C"
        extra: dict = {}
        if self.account is not None:
            extra = dict(user=self.account.pw_uid, group=self.account.pw_gid, extra_groups=[])
            env["HOME"] = str(self.home)
        return subprocess.run(argv, env=env, cwd=str(self.home), capture_output=True, text=True,
                              timeout=START_TIMEOUT + 30, **extra, **kwargs)

    def _chown(self, path: Path) -> None:
        if self.account is not None:
            os.chown(path, self.account.pw_uid, self.account.pw_gid)

    def _init(self) -> None:
        if self.home is None:
            if self.account is None or _reachable_by(self.directory, self.account):
                self.home = self.directory
            else:
                # The server's account cannot reach DIR (e.g. pytest's 0700 temporary
                # directories under root's): a private directory of its own instead.
                self.home = Path(tempfile.mkdtemp(prefix="hc-pg-", dir="/tmp"))
                self._chown(self.home)
        self.home.mkdir(parents=True, exist_ok=True)
        if self.data.exists():
            shutil.rmtree(self.data)
        # Made here and given to the server's account: it may not write to `home` itself.
        self.data.mkdir(mode=0o700)
        self._chown(self.data)
        self.log_file.touch(mode=0o600)
        self._chown(self.log_file)
        template = _TEMPLATES.get((str(self.bin), self.account.pw_uid if self.account else None))
        if template is not None and (template[0] / "PG_VERSION").exists():
            # A copy of this process's first initdb: 0.4 s instead of 2 s or more. It shares
            # that cluster's superuser password; harvest_connect's is new (its role is created
            # after the start).
            self._copy_data(template[0], self.data)
            self._write_pgpass({ADMIN: template[1], ROLE: secrets.token_urlsafe(24)})
        else:
            self._initdb()
        with open(self.data / "postgresql.conf", "a") as f:
            f.write("\ninclude_if_exists = 'harvest_connect.conf'\n")
        self.port = None
        self._save_state()

    def _copy_data(self, source: Path, target: Path) -> None:
        result = self._as_server(["cp", "-a", f"{source}/.", str(target)])
        if result.returncode != 0:
            raise ClusterError(f"copying the data directory failed: {result.stderr.strip()}")

    def _initdb(self) -> None:
        assert self.home is not None
        passwords = {ADMIN: secrets.token_urlsafe(24), ROLE: secrets.token_urlsafe(24)}
        self._write_pgpass(passwords)
        # initdb reads the superuser's password from a file only its account can read, removed
        # right after.
        pwfile = self.home / ".pwfile"
        fd = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(passwords[ADMIN] + "\n")
        try:
            self._chown(pwfile)
            result = self._as_server([str(self.bin / "initdb"), "-D", str(self.data), "-U", ADMIN,
                                      f"--pwfile={pwfile}", "--auth=scram-sha-256", "--encoding=UTF8",
                                      "--no-locale", "--no-sync", "--no-instructions"])
        finally:
            pwfile.unlink(missing_ok=True)
        if result.returncode != 0:
            raise ClusterError(f"initdb failed (exit {result.returncode}): {result.stderr.strip()}")
        key = (str(self.bin), self.account.pw_uid if self.account else None)
        if self.keep_template and key not in _TEMPLATES:
            # Kept, never started, for the next clusters of this process; removed at exit.
            where = Path(tempfile.mkdtemp(prefix="hc-pg-template-", dir="/tmp"))
            self._chown(where)
            atexit.register(shutil.rmtree, where, True)
            (where / "data").mkdir(mode=0o700)
            self._chown(where / "data")
            self._copy_data(self.data, where / "data")
            _TEMPLATES[key] = (where / "data", passwords[ADMIN])

    def _write_settings(self) -> None:
        # Durability against a killed process is what the tests check, not against a power cut:
        # fsync off makes every commit cheap without changing what a SIGKILL leaves.
        settings = {
            "listen_addresses": ",".join(self.listen),
            "port": str(self.port),
            "unix_socket_directories": "",
            "password_encryption": "scram-sha-256",
            "max_connections": "200",
            "fsync": "off",
            "full_page_writes": "off",
            "log_line_prefix": "%m [%p] %q%u@%d ",
        }
        conf = self.data / "harvest_connect.conf"
        conf.write_text("".join(f"{k} = '{v}'\n" for k, v in settings.items()))
        self._chown(conf)

    def _write_hba(self) -> None:
        hba = self.data / "pg_hba.conf"
        hba.write_text("# Only TCP, only these networks, only SCRAM (written by tests/support/postgres_cluster.py)\n"
                       + "".join(f"host all all {net} scram-sha-256\n" for net in self.networks))
        self._chown(hba)

    def _log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def _role_exists(self) -> bool:
        return self.psql(f"SELECT 1 FROM pg_roles WHERE rolname = '{ROLE}'").strip() == "1"

    def _create_role(self) -> None:
        verifier = scram_verifier(self._passwords()[ROLE])
        try:
            self.psql(f"CREATE ROLE {ROLE} LOGIN CREATEDB PASSWORD '{verifier}';\n"
                      f"CREATE DATABASE {DATABASE} OWNER {ROLE};\n")
        except ClusterError as exc:
            raise ClusterError(str(exc).replace(verifier, "[verifier]")) from None


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="A private PostgreSQL cluster for the tests.")
    sub = parser.add_subparsers(dest="command", required=True)
    start = sub.add_parser("start", help="initdb (once) and start; prints the URL (password in DIR/pgpass)")
    start.add_argument("dir", type=Path)
    stop = sub.add_parser("stop", help="fast shutdown; removes a data directory kept outside DIR")
    stop.add_argument("dir", type=Path)
    create = sub.add_parser("create-database", help="create a database owned by harvest_connect; prints its URL")
    create.add_argument("dir", type=Path)
    create.add_argument("name")
    args = parser.parse_args(argv)
    try:
        if args.command != "start" and not (args.dir / "cluster.json").exists():
            if args.command == "stop":
                return 0  # nothing was started there: stopping is idempotent
            raise ClusterError(f"no cluster in {args.dir}: run `start {args.dir}` first")
        cluster = PostgresCluster(args.dir)
        cluster.keep_template = False
        if args.command == "start":
            url = cluster.start()
            cluster._registered = True  # noqa: SLF001 - the CLI's cluster outlives this process
            atexit.unregister(cluster.close)
            print(url)
        elif args.command == "stop":
            cluster.close()
        else:
            print(cluster.create_database(args.name))
    except ClusterError as exc:
        print(f"postgres_cluster: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
