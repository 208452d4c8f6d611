"""Several hosts on one machine, for tests/scale/test_hosts.py: Linux network namespaces joined by
a bridge (iproute2), each with its own loopback and one private address, nothing reachable from
outside the machine.

- The data host is the machine itself: its PostgreSQL and Redis listen on 127.0.0.1 only, so
  socat forwards the bridge address's 5432 and 6379 to them (as a database server's own network
  interface would carry them).
- Each Rasa host runs scripts/run.sh in its namespace with the production profile
  (tests/e2e/servers.py, `Stack.launcher`): its own action server on its loopback, Rasa on its
  bridge address, its own follow-up engine.
- The edge host runs Debian's nginx with the `map` and `location /webhooks/` of deploy/nginx.conf
  (read from that file, so the test proves the shipped routing), over plain HTTP.
- Customers come from addresses of their own on the bridge, as visitors on the internet would.

Taking a host down is `ip link set eth0 down` inside its namespace: it stops answering at once,
as a host that lost power or its network would, with its processes still holding their locks.
"""
from __future__ import annotations

import os
import random
import re
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.e2e.servers import ROOT
from tests.scale.services import required

NGINX_CONF = ROOT / "deploy" / "nginx.conf"


def _ip(*args: str, namespace: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
    prefix = ["ip", "netns", "exec", namespace] if namespace else []
    return subprocess.run([*prefix, "ip", *args], capture_output=True, text=True, check=check, timeout=30)


def require_namespaces() -> None:
    """Skips (with the reason) only where network namespaces cannot be made: not root, or a
    container without the capability. nginx and socat are installed by `make test`
    (scripts/system_deps.sh), so their absence fails."""
    if shutil.which("ip") is None:
        pytest.fail("`ip` (iproute2) is missing: run scripts/system_deps.sh", pytrace=False)
    probe = f"bhprobe{os.getpid()}"
    made = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if made.returncode != 0:
        reason = f"network namespaces are unavailable here ({made.stderr.strip() or 'ip netns add failed'})"
        if required() and os.geteuid() == 0:
            pytest.fail(f"CI=true as root and {reason}", pytrace=False)
        pytest.skip(reason)
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    for tool in ("nginx", "socat"):
        if shutil.which(tool) is None:
            pytest.fail(f"`{tool}` is missing: run scripts/system_deps.sh", pytrace=False)


@dataclass
class Network:
    """One bridge 10.<n>.0.0/16 with a namespace per host. The machine is 10.<n>.0.1."""

    hosts: list[str]
    tag: str = field(default_factory=lambda: f"{random.randrange(16**4):04x}")
    octet: int = 0
    processes: list[subprocess.Popen] = field(default_factory=list)
    client_addresses: list[str] = field(default_factory=list)

    @property
    def bridge(self) -> str:
        return f"bh{self.tag}"

    @property
    def machine(self) -> str:
        return f"10.{self.octet}.0.1"

    def namespace(self, host: str) -> str:
        return f"bh{self.tag}-{host}"

    def address(self, host: str) -> str:
        return f"10.{self.octet}.0.{10 + self.hosts.index(host)}"

    def launcher(self, host: str) -> list[str]:
        return ["ip", "netns", "exec", self.namespace(host)]

    def up(self, clients: int) -> "Network":
        used = _ip("-o", "-4", "addr").stdout
        self.octet = next(n for n in random.sample(range(100, 250), 150) if f" 10.{n}." not in used)
        _ip("link", "add", self.bridge, "type", "bridge")
        _ip("addr", "add", f"{self.machine}/16", "dev", self.bridge)
        _ip("link", "set", self.bridge, "up")
        for index, host in enumerate(self.hosts):
            namespace, veth = self.namespace(host), f"bh{self.tag}v{index}"
            subprocess.run(["ip", "netns", "add", namespace], check=True, capture_output=True)
            _ip("link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", namespace)
            _ip("link", "set", veth, "master", self.bridge)
            _ip("link", "set", veth, "up")
            _ip("addr", "add", f"{self.address(host)}/16", "dev", "eth0", namespace=namespace)
            _ip("link", "set", "eth0", "up", namespace=namespace)
            _ip("link", "set", "lo", "up", namespace=namespace)
        for n in range(clients):  # one address per customer, like visitors on the internet
            address = f"10.{self.octet}.{1 + n // 250}.{1 + n % 250}"
            _ip("addr", "add", f"{address}/16", "dev", self.bridge)
            self.client_addresses.append(address)
        return self

    def forward(self, port: int) -> None:
        """The machine's loopback service on `port`, reachable at the bridge address."""
        self.processes.append(subprocess.Popen(
            ["socat", f"TCP-LISTEN:{port},bind={self.machine},fork,reuseaddr", f"TCP:127.0.0.1:{port}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))

    def take_down(self, host: str) -> None:
        _ip("link", "set", "eth0", "down", namespace=self.namespace(host))

    def down(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=20)
        for host in self.hosts:
            subprocess.run(["ip", "netns", "del", self.namespace(host)], capture_output=True)
        _ip("link", "del", self.bridge, check=False)


def routing_from_deploy() -> tuple[str, str]:
    """The affinity maps and the `/webhooks/` location of deploy/nginx.conf, as shipped."""
    text = NGINX_CONF.read_text(encoding="utf-8")
    maps = re.findall(r"^    map .*?^    \}\n", text, re.M | re.S)
    location = re.search(r"^        location /webhooks/ \{.*?^        \}\n", text, re.M | re.S)
    assert maps and location, "deploy/nginx.conf lost its affinity map or its /webhooks/ location"
    return "".join(maps), location.group(0)


def start_nginx(network: Network, host: str, folder: Path, upstreams: list[str]) -> subprocess.Popen:
    """nginx in the edge host's namespace, listening on its address, port 80."""
    maps, location = routing_from_deploy()
    for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (folder / name).mkdir(parents=True, exist_ok=True)
    servers = "".join(f"        server {address} max_fails=3 fail_timeout=10s;\n" for address in upstreams)
    conf = folder / "nginx.conf"
    conf.write_text(f"""
user root;
worker_processes 2;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    client_max_body_size 64k;
    # The test's own log: which key went to which host (the shipped config keeps no access log).
    log_format hosts '$rasa_affinity|$upstream_addr|$status|$request_time';
    access_log {folder}/access.log hosts;
{maps}
    upstream rasa {{
        hash $rasa_affinity consistent;
{servers}    }}
    server {{
        listen {network.address(host)}:80;
{location}    }}
}}
""", encoding="utf-8")
    check = subprocess.run([*network.launcher(host), "nginx", "-t", "-q", "-c", str(conf), "-p", str(folder)],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    process = subprocess.Popen([*network.launcher(host), "nginx", "-c", str(conf), "-p", str(folder),
                                "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    network.processes.append(process)
    deadline = time.monotonic() + 30
    while not (folder / "nginx.pid").exists():
        assert process.poll() is None and time.monotonic() < deadline, (folder / "error.log").read_text()
        time.sleep(0.2)
    return process


def nginx_log(folder: Path) -> list[tuple[str, str, str]]:
    """(affinity key, upstream address(es), status) per request, in order."""
    lines = (folder / "access.log").read_text(encoding="utf-8").splitlines() if (folder / "access.log").exists() else []
    return [tuple(line.split("|")[:3]) for line in lines if line.strip()]
