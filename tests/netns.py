"""Several hosts on one machine: a network namespace per host (its own network stack, loopback
and hostname), joined by a bridge this machine also sits on. ``Network.kill(host)`` is the
host's power cut: every process in it dies at once."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess

from app.cluster import Host


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], check=check, capture_output=True, text=True)


def namespaces_available() -> str | None:
    """None where namespaces can be made here, else why not."""
    if os.geteuid() != 0 or shutil.which("ip") is None or shutil.which("unshare") is None:
        return "network namespaces need root, iproute2 and util-linux"
    probe = f"studio-probe-{random.randint(0, 99999)}"
    if _ip("netns", "add", probe, check=False).returncode != 0:
        return "this machine does not allow network namespaces"
    _ip("netns", "del", probe, check=False)
    return None


class Network:
    """``Network(["server", "w1", "w2"])``: hosts 10.X.Y.1, .2, ...; this machine is .254."""

    def __init__(self, names: list[str]):
        tag = f"{random.randint(0, 0xFFFF):04x}"
        self.subnet = f"10.{random.randint(100, 250)}.{random.randint(1, 250)}"
        self.bridge = f"sbr{tag}"
        self.namespaces: dict[str, str] = {}
        self.hosts: dict[str, Host] = {}
        _ip("link", "add", self.bridge, "type", "bridge")
        _ip("addr", "add", f"{self.subnet}.254/24", "dev", self.bridge)
        _ip("link", "set", self.bridge, "up")
        for n, name in enumerate(names, start=1):
            ns, outside, inside = f"s{tag}{name}", f"v{tag}{n}a", f"v{tag}{n}b"
            _ip("netns", "add", ns)
            self.namespaces[name] = ns
            _ip("link", "add", outside, "type", "veth", "peer", "name", inside)
            _ip("link", "set", inside, "netns", ns)
            _ip("link", "set", outside, "master", self.bridge)
            _ip("link", "set", outside, "up")
            address = f"{self.subnet}.{n}"
            for args in (("addr", "add", f"{address}/24", "dev", inside), ("link", "set", inside, "up"),
                         ("link", "set", "lo", "up")):
                _ip("netns", "exec", ns, "ip", *args)
            # its own hostname too (a UTS namespace), as a separate machine has
            prefix = ["ip", "netns", "exec", ns, "unshare", "--uts", "sh", "-c", f'hostname {name} && exec "$0" "$@"']
            self.hosts[name] = Host(name=name, address=address, prefix=prefix)

    def __getitem__(self, name: str) -> Host:
        return self.hosts[name]

    def pids(self, name: str) -> list[int]:
        out = _ip("netns", "pids", self.namespaces[name], check=False).stdout.split()
        return [int(p) for p in out]

    def host_of(self, pid: int) -> str | None:
        """The host a process runs on."""
        return next((name for name in self.namespaces if pid in self.pids(name)), None)

    def kill(self, name: str) -> int:
        """Every process on the host, SIGKILL, at once; how many there were."""
        pids = self.pids(name)
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return len(pids)

    def close(self) -> None:
        for name, ns in self.namespaces.items():
            self.kill(name)
            _ip("netns", "del", ns, check=False)
        _ip("link", "del", self.bridge, check=False)
