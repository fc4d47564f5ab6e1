"""Several "hosts" on one machine: each a network namespace (`ip netns`) joined to this one,
the server side, by a veth pair of its own, so that processes run in it (`ip netns exec`)
share no network with each other: no loopback, no address, no port. What they reach is
the server side's end of their veth pair: the database server listening there, and the
Harvest emulator through a relay (below).

    with NetnsHosts(4) as hosts:               # needs root (CAP_NET_ADMIN); see available()
        for h in hosts:
            h.name, h.address, h.server_address   # hc-<run>-1, 10.R.1.2, 10.R.1.1
            subprocess.Popen(h.command([sys.executable, "worker.py", ...]))

Names carry a random run id (hc-<6 hex>-<i>), so parallel runs never meet; the namespaces,
and the veth pairs with them, are removed on leaving the block, by atexit should that not be
reached, and on any failure while they are being made.

Why a relay for the emulator: the client sends plain HTTP only to loopback and the emulator's
certificate names 127.0.0.1, so a host must reach it as 127.0.0.1:PORT in its own namespace.
A host's worker runs `Relay(("127.0.0.1", PORT), (server_address, PORT))`; the server side runs
`Relay((server_address, PORT), ("127.0.0.1", PORT))` in front of the emulator. Both carry bytes
only: TLS is end to end between the worker and the emulator.
"""

from __future__ import annotations

import atexit
import ipaddress
import os
import secrets
import selectors
import shutil
import socket
import subprocess
import threading
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

Address = Tuple[str, int]


def available() -> Optional[str]:
    """None when namespaces can be made here, else why not (for a skip)."""
    if os.geteuid() != 0:
        return "network-namespace hosts need root (CAP_NET_ADMIN); CI runs the tests as root"
    if shutil.which("ip") is None:
        return "no `ip` command: install Debian's iproute2 (make test-deps does)"
    probe = f"hc-probe-{secrets.token_hex(3)}"
    made = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if made.returncode != 0:
        return f"cannot create a network namespace here: {made.stderr.strip()}"
    subprocess.run(["ip", "netns", "delete", probe], capture_output=True)
    return None


def _ip(*args: str) -> None:
    result = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)
    if result.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {result.stderr.strip()}")


def _free_subnet() -> int:
    """A second octet R such that no address of this machine is in 10.R.0.0/16."""
    used = subprocess.run(["ip", "-4", "-o", "addr", "show"], capture_output=True, text=True).stdout
    routes = subprocess.run(["ip", "-4", "route", "show"], capture_output=True, text=True).stdout
    for _ in range(100):
        r = 64 + secrets.randbelow(190)
        net = ipaddress.ip_network(f"10.{r}.0.0/16")
        words = (used + " " + routes).replace("/", " ").split()
        if not any(_in(net, w) for w in words):
            return r
    raise RuntimeError("no free 10.R.0.0/16 network for the namespaces")


def _in(net: "ipaddress.IPv4Network | ipaddress.IPv6Network", word: str) -> bool:
    try:
        return ipaddress.ip_address(word) in net
    except ValueError:
        return False


class Host:
    """One namespace: `address` is its end of the veth pair, `server_address` the other."""

    def __init__(self, name: str, address: str, server_address: str, veth: str, host_veth: str) -> None:
        self.name = name
        self.address = address
        self.server_address = server_address
        self.veth = veth  # the server side's end
        self.host_veth = host_veth  # the host's end, inside the namespace

    def command(self, argv: Sequence[str]) -> List[str]:
        """argv run inside the namespace (the environment is kept)."""
        return ["ip", "netns", "exec", self.name, *argv]

    def vanish(self) -> None:
        """Takes the host off the network as a power loss or a partition would: its end of
        the link goes down, so what the server side sends it goes unanswered. Nothing is
        closed or reset: the server side learns of it only by its own timeouts."""
        _ip("-n", self.name, "link", "set", self.host_veth, "down")

    def lose_the_server(self) -> None:
        """The same seen from the host: the server side's end of its link goes down, so what
        the host sends the server goes unanswered, and nothing tells the host so."""
        _ip("link", "set", self.veth, "down")

    def __repr__(self) -> str:
        return f"Host({self.name!r}, address={self.address!r}, server_address={self.server_address!r})"


class NetnsHosts:
    """`count` hosts; the networks they use are 10.R.0.0/16 (`network`)."""

    def __init__(self, count: int) -> None:
        self.run_id = secrets.token_hex(3)
        self.hosts: List[Host] = []
        self._r = 0
        self.count = count

    @property
    def network(self) -> str:
        return f"10.{self._r}.0.0/16"

    @property
    def server_addresses(self) -> List[str]:
        return [h.server_address for h in self.hosts]

    def __iter__(self) -> Iterator[Host]:
        return iter(self.hosts)

    def __len__(self) -> int:
        return len(self.hosts)

    def __getitem__(self, i: int) -> Host:
        return self.hosts[i]

    def __enter__(self) -> "NetnsHosts":
        atexit.register(self.close)
        try:
            self._r = _free_subnet()
            for i in range(1, self.count + 1):
                name = f"hc-{self.run_id}-{i}"
                server_side, host_side = f"hcs{self.run_id}{i}", f"hch{self.run_id}{i}"  # <= 15 chars
                _ip("netns", "add", name)
                host = Host(name, f"10.{self._r}.{i}.2", f"10.{self._r}.{i}.1", server_side, host_side)
                self.hosts.append(host)
                _ip("link", "add", server_side, "type", "veth", "peer", "name", host_side)
                _ip("link", "set", host_side, "netns", name)
                _ip("addr", "add", f"{host.server_address}/24", "dev", server_side)
                _ip("link", "set", server_side, "up")
                _ip("-n", name, "addr", "add", f"{host.address}/24", "dev", host_side)
                _ip("-n", name, "link", "set", host_side, "up")
                _ip("-n", name, "link", "set", "lo", "up")
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Remove every namespace and veth pair made (idempotent; errors of one do not keep
        the others)."""
        while self.hosts:
            host = self.hosts.pop()
            # Deleting the namespace destroys the host's end, and with it the pair; the server
            # side's end is deleted too in case a process still held the namespace.
            subprocess.run(["ip", "netns", "delete", host.name], capture_output=True, timeout=30)
            subprocess.run(["ip", "link", "delete", host.veth], capture_output=True, timeout=30)
        atexit.unregister(self.close)

    @staticmethod
    def existing() -> List[str]:
        """The names of the namespaces on this machine (for the cleanup checks)."""
        out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
        return [line.split()[0] for line in out.splitlines() if line.strip()]


class Relay:
    """Copies bytes between connections accepted at `listen` and new connections to `target`,
    in one background thread; close() stops it and ends every connection."""

    def __init__(self, listen: Address, target: Address) -> None:
        self.target = target
        self._server = socket.create_server(listen, backlog=128)
        self._server.setblocking(False)
        self.address: Address = self._server.getsockname()[:2]
        self._wake_r, self._wake_w = socket.socketpair()
        self._sel = selectors.DefaultSelector()
        self._sel.register(self._server, selectors.EVENT_READ, None)
        self._sel.register(self._wake_r, selectors.EVENT_READ, "wake")
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=f"relay {listen} -> {target}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        peers: Dict[socket.socket, socket.socket] = {}
        try:
            while True:
                for key, _ in self._sel.select():
                    if key.data == "wake":
                        return
                    if key.fileobj is self._server:
                        try:
                            client, _ = self._server.accept()
                        except BlockingIOError:
                            continue
                        try:
                            upstream = socket.create_connection(self.target, timeout=10)
                        except OSError:
                            client.close()
                            continue
                        for s in (client, upstream):
                            s.setblocking(False)
                            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                        peers[client], peers[upstream] = upstream, client
                        self._sel.register(client, selectors.EVENT_READ, "conn")
                        self._sel.register(upstream, selectors.EVENT_READ, "conn")
                        continue
                    src = key.fileobj
                    assert isinstance(src, socket.socket)
                    dst = peers.get(src)
                    if dst is None:
                        continue
                    try:
                        data = src.recv(65536)
                        if data:
                            dst.setblocking(True)
                            dst.sendall(data)
                            dst.setblocking(False)
                            continue
                    except OSError:
                        pass
                    for s in (src, dst):  # one side ended: end the pair
                        self._sel.unregister(s)
                        peers.pop(s, None)
                        s.close()
        finally:
            for s in list(peers):
                s.close()
            self._server.close()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._wake_w.send(b"x")
            self._thread.join(timeout=30)
            self._wake_w.close()
            self._wake_r.close()

    def __enter__(self) -> "Relay":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
