"""The files in deploy/ as an admin installs them, checked with the real tools.

Debian's nginx loads deploy/nginx.conf (`nginx -t`) and, started in front of a real `kith run`,
passes Host and X-Forwarded-*, keeps one connection to Kith for many requests, and carries the
streaming API's WebSocket and event stream. `systemd-analyze verify` accepts the units, whose
commands parse with Kith's own argument parser and match kith.service; the backup unit's shell
lines, run as systemd runs them, write today's file and keep the 14 newest.

What is changed in the shipped files for the test, and nothing else: nginx's certificate paths (a
self-signed certificate), listen ports (free high ones) and upstream address (the Kith under test,
through a relay that records what nginx sends it); the units' paths of programs and folders.
Without nginx or systemd-analyze the tests skip, except under CI (CI set), where they fail:
tests/run.sh installs both with apt-get.
"""

from __future__ import annotations

import asyncio
import datetime
import os
import re
import shlex
import shutil
import socket
import ssl
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from server.api.media import MAX_BODY as API_MEDIA_MAX_BODY
from server.cli import build_parser
from server.web.middleware import UPLOAD_FORMS
from tests.conftest import REPO, KithProcess, free_port

DEPLOY = REPO / "deploy"
SITE = DEPLOY / "nginx.conf"
HOST = "social.example.org"
KITH_BIN = "/opt/kith/.venv/bin/kith"


def require(tool: str) -> str:
    """The tool's path. Missing, the test skips on a developer's machine but fails under CI."""
    found = shutil.which(tool, path=os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"]))
    if found:
        return found
    message = f"{tool} is not installed (tests/run.sh installs it with apt-get)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


# nginx


def ipv6_loopback() -> bool:
    """Whether this machine can listen on IPv6 (the site's `listen [::]:…` lines need it)."""
    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind(("::1", 0))
        return True
    except OSError:
        return False


def site_for_test(text: str, *, cert: Path, key: Path, http: int, https: int, upstream: int) -> str:
    """The shipped site with only the substitutions a machine-local nginx needs; each must apply
    exactly once, so that a changed file fails here instead of being tested half-swapped."""
    swaps = [
        (f"/etc/letsencrypt/live/{HOST}/fullchain.pem", str(cert)),
        (f"/etc/letsencrypt/live/{HOST}/privkey.pem", str(key)),
        ("server 127.0.0.1:8080;", f"server 127.0.0.1:{upstream};"),
        ("listen 80;", f"listen {http};"),
        ("listen [::]:80;", f"listen [::]:{http};"),
        ("listen 443 ", f"listen {https} "),
        ("listen [::]:443 ", f"listen [::]:{https} "),
    ]
    lines = [line.partition("#")[0] for line in text.splitlines()]  # comments may quote directives
    for old, new in swaps:
        assert sum(line.count(old) for line in lines) == 1, f"deploy/nginx.conf should have {old!r} once"
        lines = [line.replace(old, new) for line in lines]
    if not ipv6_loopback():
        lines = [line for line in lines if not line.strip().startswith("listen [::]:")]
    return "\n".join(lines) + "\n"


@dataclass
class Nginx:
    """A throwaway nginx: its own main config (as Debian's nginx.conf, it includes the site inside
    `http {}`), pid, logs and temporary folders under `root`."""

    binary: str
    root: Path
    http_port: int
    https_port: int
    proc: subprocess.Popen | None = None

    @classmethod
    def build(cls, binary: str, root: Path, site_text: str, upstream: int) -> Nginx:
        root.mkdir(parents=True, exist_ok=True)
        cert, key = root / "cert.pem", root / "key.pem"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-days", "1", "-subj", f"/CN={HOST}", "-keyout", str(key), "-out", str(cert)],
                       check=True, capture_output=True)
        nginx = cls(binary, root, free_port(), free_port())
        site = root / "site.conf"
        site.write_text(site_for_test(site_text, cert=cert, key=key, http=nginx.http_port, https=nginx.https_port,
                                      upstream=upstream))
        # As root, nginx's workers would otherwise run as `nobody`, who cannot enter pytest's 0700
        # folders to write request bodies; not root, `user` is ignored with a warning, so left out.
        user = "user root root;\n" if os.geteuid() == 0 else ""
        # One worker: the upstream keepalive pool is per worker, and the test counts connections.
        (root / "nginx.conf").write_text(f"""{user}worker_processes 1;
daemon off;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log {root}/access.log;
    client_body_temp_path {root}/client_body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    include {site};
}}
""")
        return nginx

    def command(self, *extra: str) -> list[str]:
        return [self.binary, "-p", str(self.root), "-e", str(self.root / "error.log"),
                "-c", str(self.root / "nginx.conf"), *extra]

    def check(self) -> subprocess.CompletedProcess:
        return subprocess.run(self.command("-t"), capture_output=True, text=True, timeout=30)

    async def start(self) -> Nginx:
        self.proc = subprocess.Popen(self.command(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for _ in range(100):
            if self.proc.poll() is not None:
                raise RuntimeError(f"nginx exited: {self.proc.stderr.read().decode()}")
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.https_port)
                writer.close()
                return self
            except OSError:
                await asyncio.sleep(0.05)
        self.stop()
        raise RuntimeError("nginx did not listen")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


def nginx_version(binary: str) -> tuple[int, ...]:
    said = subprocess.run([binary, "-v"], capture_output=True, text=True).stderr  # "nginx version: nginx/1.22.1"
    found = re.search(r"nginx/(\d+)\.(\d+)\.(\d+)", said)
    return tuple(map(int, found.groups()))


def nginx_messages(result: subprocess.CompletedProcess, version: tuple[int, ...]) -> list[str]:
    """nginx -t's warnings and errors (it prints its two success lines to stderr too). From 1.25.1 on,
    `listen … http2` (what 1.22 needs) still works, with a warning that it is deprecated."""
    return [line for line in result.stderr.splitlines()
            if not re.search(r"syntax is ok|test is successful", line)
            and not (version >= (1, 25, 1) and '"listen ... http2" directive is deprecated' in line)]


def test_nginx_accepts_the_site_as_shipped(tmp_path: Path):
    nginx = Nginx.build(require("nginx"), tmp_path, SITE.read_text(), upstream=free_port())
    version = nginx_version(nginx.binary)
    result = nginx.check()
    assert result.returncode == 0 and nginx_messages(result, version) == [], result.stderr

    # The same check refuses what the file used to say, on an nginx that predates `http2 on;`.
    if version < (1, 25, 1):
        old = SITE.read_text().replace("listen 443 ssl http2;", "listen 443 ssl;\n    http2 on;")
        broken = Nginx.build(nginx.binary, tmp_path / "old", old, upstream=free_port()).check()
        assert broken.returncode != 0 and 'unknown directive "http2"' in broken.stderr


def body_limits(text: str) -> dict[str, int]:
    """client_max_body_size by location (`server` for the server block's), in bytes."""
    units = {"k": 1024, "m": 1024 ** 2, "g": 1024 ** 3}
    limits, where = {}, "server"
    for line in text.splitlines():
        if match := re.match(r"\s*location\s+(?:=\s*)?(\S+)\s*\{", line):
            where = match.group(1)
        elif re.match(r"\s*\}", line):
            where = "server"
        if match := re.search(r"client_max_body_size\s+(\d+)([kmg]?);", line):
            limits[where] = int(match.group(1)) * units.get(match.group(2), 1)
    return limits


def test_nginx_body_limits_are_at_least_kiths():
    """Kith answers a too-large upload with a message on its form; nginx must not refuse it first."""
    limits = body_limits(SITE.read_text())
    for path, kith_limit in [*UPLOAD_FORMS.items(), ("/api/v2/media", API_MEDIA_MAX_BODY)]:
        assert limits.get(path, limits["server"]) >= kith_limit, path


class Relay:
    """A TCP relay between nginx and Kith that records what nginx sends on each connection it opens.
    Bytes pass unchanged both ways, so Kith answers everything itself."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.connections: list[bytearray] = []
        self.server: asyncio.Server | None = None
        self.port = 0

    async def start(self) -> Relay:
        self.server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def _relay(self, from_nginx: asyncio.StreamReader, to_nginx: asyncio.StreamWriter) -> None:
        seen = bytearray()
        self.connections.append(seen)
        from_kith, to_kith = await asyncio.open_connection("127.0.0.1", self.target_port)

        async def pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, record: bytearray | None):
            try:
                while data := await reader.read(1 << 16):
                    if record is not None:
                        record += data
                    writer.write(data)
                    await writer.drain()
            except ConnectionError:
                pass
            finally:
                writer.close()

        await asyncio.gather(pump(from_nginx, to_kith, seen), pump(from_kith, to_nginx, None))

    def requests(self) -> list[tuple[int, str, str, dict[str, str]]]:
        """(connection number, method, target, headers) of each request nginx sent, in order."""
        found = []
        for number, data in enumerate(self.connections):
            pos = 0
            while (end := data.find(b"\r\n\r\n", pos)) != -1:
                first, *lines = data[pos:end].decode("latin-1").split("\r\n")
                method, target, _ = first.split(" ")
                headers = {name.strip().lower(): value.strip() for name, value in (ln.split(":", 1) for ln in lines)}
                found.append((number, method, target, headers))
                if "upgrade" in headers:
                    break  # WebSocket frames follow
                pos = end + 4 + int(headers.get("content-length", 0))
        return found

    def stop(self) -> None:
        if self.server:
            self.server.close()


@dataclass
class Deployment:
    kith: KithProcess
    relay: Relay
    nginx: Nginx

    @property
    def https(self) -> str:
        return f"https://127.0.0.1:{self.nginx.https_port}"

    def seen(self, request_id: str) -> tuple[int, str, str, dict[str, str]]:
        """The request as it reached Kith, found by the X-Request-Id the test gave it."""
        matches = [r for r in self.relay.requests() if r[3].get("x-request-id") == request_id]
        assert len(matches) == 1, matches
        return matches[0]


@pytest.fixture(scope="module")
async def deployed(database_url: str, tmp_path_factory) -> AsyncIterator[Deployment]:
    """`kith run` for social.example.org, and nginx with the shipped site in front of it."""
    binary = require("nginx")
    kith = KithProcess(["--database-url", database_url, "--domain", HOST], env={"KITH_WORKERS": "false"}).start()
    relay = nginx = None
    try:
        relay = await Relay(kith.port).start()
        nginx = Nginx.build(binary, tmp_path_factory.mktemp("nginx"), SITE.read_text(), upstream=relay.port)
        yield Deployment(kith, relay, await nginx.start())
    finally:
        for part in (nginx, relay, kith):
            if part is not None:
                part.stop()


def session(force_close: bool = False) -> aiohttp.ClientSession:
    """A client that accepts the test's self-signed certificate and names the site's host."""
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=False, force_close=force_close),
                                 headers={"Host": HOST}, timeout=aiohttp.ClientTimeout(total=20))


async def test_requests_reach_kith_with_host_and_forwarded_headers(deployed: Deployment):
    async with session() as client, client.get(f"{deployed.https}/api/v1/instance",
                                               headers={"X-Request-Id": "deploy-headers-1"}) as resp:
        body = await resp.json()
        assert resp.status == 200 and body["uri"] == HOST
        assert resp.headers["X-Request-Id"] == "deploy-headers-1"  # Kith answered
        assert resp.headers["Strict-Transport-Security"] == "max-age=31536000"
        assert resp.headers["Server"] == "nginx"  # no version
    _, method, target, headers = deployed.seen("deploy-headers-1")
    assert (method, target) == ("GET", "/api/v1/instance")
    assert headers["host"] == HOST  # not the upstream's name, `kith`: signatures cover it
    assert headers["x-forwarded-proto"] == "https"
    assert headers["x-forwarded-for"] == "127.0.0.1"
    assert "connection" not in headers and "upgrade" not in headers


async def test_many_requests_share_one_connection_to_kith(deployed: Deployment):
    """Each request on a new client connection (which asks to close it): nginx still keeps its own
    connection to Kith open and uses it for all of them."""
    async with session(force_close=True) as client:
        for n in range(6):
            request_id = f"deploy-keepalive-{n}"
            async with client.get(f"{deployed.https}/health", headers={"X-Request-Id": request_id}) as resp:
                assert resp.status == 200 and resp.headers["X-Request-Id"] == request_id
    connections = {deployed.seen(f"deploy-keepalive-{n}")[0] for n in range(6)}
    assert len(connections) == 1, f"6 requests came to Kith over {len(connections)} connections"


async def test_a_body_over_nginxs_default_limit_reaches_kith(deployed: Deployment):
    async with session() as client, client.post(f"{deployed.https}/api/v2/media", data=b"x" * (3 << 20),
                                                headers={"X-Request-Id": "deploy-body-1"}) as resp:
        assert resp.status == 401 and resp.headers["X-Request-Id"] == "deploy-body-1"  # Kith: no token
    assert deployed.seen("deploy-body-1")[3]["content-length"] == str(3 << 20)


async def test_http_redirects_to_https(deployed: Deployment):
    async with session() as client, client.get(f"http://127.0.0.1:{deployed.nginx.http_port}/@alice?page=2",
                                               allow_redirects=False) as resp:
        assert resp.status == 301 and resp.headers["Location"] == f"https://{HOST}/@alice?page=2"


async def test_https_offers_http2(deployed: Deployment):
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    context.set_alpn_protocols(["h2", "http/1.1"])
    _, writer = await asyncio.open_connection("127.0.0.1", deployed.nginx.https_port, ssl=context,
                                              server_hostname=HOST)
    try:
        assert writer.get_extra_info("ssl_object").selected_alpn_protocol() == "h2"
    finally:
        writer.close()


async def app_token(client: aiohttp.ClientSession, base: str) -> str:
    """A token for an app acting for nobody (client_credentials): it may read public streams."""
    async with client.post(f"{base}/api/v1/apps", data={"client_name": "deploy test", "scopes": "read",
                                                         "redirect_uris": "urn:ietf:wg:oauth:2.0:oob"}) as resp:
        app = await resp.json()
    async with client.post(f"{base}/oauth/token", data={
            "grant_type": "client_credentials", "client_id": app["client_id"],
            "client_secret": app["client_secret"], "scope": "read"}) as resp:
        return (await resp.json())["access_token"]


async def test_streaming_websocket_and_event_stream_pass(deployed: Deployment):
    wss = deployed.https.replace("https", "wss", 1)
    async with session() as client:
        # Without a token: Kith's own refusal, so the upgrade request reached Kith.
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await client.ws_connect(f"{wss}/api/v1/streaming?stream=public",
                                    headers={"X-Request-Id": "deploy-ws-refused"})
        assert refused.value.status == 401 and refused.value.headers["X-Request-Id"] == "deploy-ws-refused"
        _, _, target, headers = deployed.seen("deploy-ws-refused")
        assert target == "/api/v1/streaming?stream=public"
        assert headers["upgrade"] == "websocket" and headers["connection"] == "upgrade"

        token = await app_token(client, deployed.https)
        async with client.ws_connect(f"{wss}/api/v1/streaming?stream=public&access_token={token}") as ws:
            await ws.send_str("not JSON")  # answered by Kith with an error frame: frames pass both ways
            answer = await ws.receive_json(timeout=10)
            assert answer == {"error": "Messages must be JSON objects", "status": 400}

        # The event-stream form: Kith's first line arrives at once, not when a buffer fills.
        async with client.get(f"{deployed.https}/api/v1/streaming/public?access_token={token}") as resp:
            assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/event-stream")
            assert await asyncio.wait_for(resp.content.readline(), 5) == b":)\n"


# systemd


def unit_file(path: Path) -> dict[str, dict[str, list[str]]]:
    """A unit's settings by section; a key may repeat (ExecStartPre=…), so each maps to a list."""
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
        else:
            key, _, value = line.partition("=")
            current.setdefault(key.strip(), []).append(value.strip())
    return sections


def command_line(value: str) -> list[str]:
    """An Exec line's argv as systemd passes it: prefixes dropped, "%%" and "$$" made "%" and "$"
    (no other specifier or variable is used, which is checked), then split on quotes."""
    value = value.lstrip("+-@!:")
    assert "%" not in value.replace("%%", "") and "$" not in value.replace("$$", ""), value
    return shlex.split(value.replace("%%", "%").replace("$$", "$"))


UNITS = ["kith.service", "kith-worker.service", "kith-backup.service", "kith-backup.timer"]


def test_systemd_accepts_the_units(tmp_path: Path):
    analyze = require("systemd-analyze")
    stub = tmp_path / "kith"
    stub.write_text("#!/bin/sh\n")
    stub.chmod(0o755)
    for name in UNITS:  # verify wants the programs to exist: the only change is kith's path
        (tmp_path / name).write_text((DEPLOY / name).read_text().replace(KITH_BIN, str(stub)))
    result = subprocess.run([analyze, "verify", *(str(tmp_path / name) for name in UNITS)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stderr == "", result.stderr

    bad = tmp_path / "bad.service"  # and it does complain: an unescaped "%" (the classic date mistake)
    bad.write_text("[Service]\nExecStart=/bin/sh -c 'echo $(date +%F)'\n")
    assert subprocess.run([analyze, "verify", str(bad)], capture_output=True, timeout=60).returncode != 0


def test_units_run_kith_as_kith_service_does():
    """Same user, folder, program and settings file as kith.service, and commands Kith's own argument
    parser accepts; separate workers are only worth it with `workers = false`, which the unit says."""
    run, worker, backup = (unit_file(DEPLOY / name) for name in UNITS[:3])
    run_argv = command_line(run["Service"]["ExecStart"][0])
    assert run_argv[0] == KITH_BIN and build_parser().parse_args(run_argv[1:]).command == "run"
    config = build_parser().parse_args(run_argv[1:]).config

    for unit in (worker, backup):
        for key in ("User", "Group", "WorkingDirectory", "ProtectSystem", "NoNewPrivileges"):
            assert unit["Service"][key] == run["Service"][key], key
        assert set(run["Service"]["ReadWritePaths"][0].split()) <= set(unit["Service"]["ReadWritePaths"][0].split())

    worker_args = build_parser().parse_args(command_line(worker["Service"]["ExecStart"][0])[1:])
    assert command_line(worker["Service"]["ExecStart"][0])[0] == KITH_BIN
    assert (worker_args.command, worker_args.config) == ("worker", config)
    assert "workers = false" in (DEPLOY / "kith-worker.service").read_text()
    assert worker["Install"]["WantedBy"] == run["Install"]["WantedBy"]

    assert backup["Service"]["Type"] == ["oneshot"] and "Install" not in backup  # started by the timer
    timer = unit_file(DEPLOY / "kith-backup.timer")
    assert timer["Timer"]["Persistent"] == ["true"] and timer["Install"]["WantedBy"] == ["timers.target"]
    assert re.fullmatch(r"\*-\*-\* \d\d:\d\d:00", timer["Timer"]["OnCalendar"][0])  # daily


def test_backup_unit_writes_todays_file_and_keeps_14(tmp_path: Path):
    """ExecStart and ExecStartPost run as systemd runs them (the kith program a stub that records its
    arguments and writes the file; /var/backups/kith a temporary folder)."""
    backups, recorded = tmp_path / "backups", tmp_path / "argv"
    backups.mkdir()
    stub = tmp_path / "kith"
    stub.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {recorded}\necho backup > "$2"\n')
    stub.chmod(0o755)
    older = [backups / f"kith-2024-{month:02d}-{day:02d}.tar.gz" for month in (1, 2) for day in range(1, 11)]
    for path in [*older, backups / "notes.txt"]:
        path.write_text("old")

    service = unit_file(DEPLOY / "kith-backup.service")["Service"]
    for line in [*service["ExecStart"], *service["ExecStartPost"]]:
        argv = [arg.replace(KITH_BIN, str(stub)).replace("/var/backups/kith", str(backups))
                for arg in command_line(line)]
        subprocess.run(argv, check=True, timeout=30)

    today = backups / f"kith-{datetime.date.today().isoformat()}.tar.gz"
    args = build_parser().parse_args(recorded.read_text().splitlines())
    assert (args.command, Path(args.file), args.config) == ("backup", today, "/etc/kith/kith.toml")
    kept = sorted(p.name for p in backups.iterdir())
    assert kept == sorted([today.name, *(p.name for p in older[-13:]), "notes.txt"])
