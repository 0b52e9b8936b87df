"""A real, independent fediverse server for Kith's federation tests: bovine-herd on loopback HTTPS.

Everything here is standard library only, so it imports in Kith's test venv; bovine itself runs in
its own venv (built once under ~/.cache/kith-interop/, see `ensure_bovine_venv`) as subprocesses:

* `_bovine_app.py` -- the bovine-herd server (Quart app served by hypercorn with TLS);
* `_bovine_ctl.py` -- a bovine *client*: creates accounts in bovine's database, then acts as
  those accounts over HTTPS (bovine's client-to-server API, Moo-Auth-1 signed).

Typical use from pytest (see README.md in this directory)::

    ca = make_ca(tmp_path / "tls")
    with BovinePeer(ca=ca, workdir=tmp_path / "bovine") as peer:
        alice = peer.create_actor("alice")
        peer.follow(alice, "https://kith.test/users/bob")
        peer.wait_for_inbox(alice, lambda a: a.get("type") == "Accept")
        peer.post_note(alice, "Hello from bovine")

Anything that cannot be set up (no openssl, no bovine install, /etc/hosts not writable, port
taken) raises `InteropUnavailable`, which tests turn into `pytest.skip(str(exc))`.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import sqlite3
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
REQUIREMENTS = HERE / "requirements-bovine.txt"
APP = HERE / "_bovine_app.py"
CTL = HERE / "_bovine_ctl.py"

BOVINE_HOST = "bovine.test"
BOVINE_ADDRESS = "127.0.0.2"
KITH_HOST = "kith.test"
KITH_ADDRESS = "127.0.0.3"
HOSTS_FILE = Path("/etc/hosts")
HOSTS_MARKER = "# kith-interop (tests/interop/bovine_peer.py)"

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"

# JSON-LD contexts bovine cannot fetch offline, and the file in Kith's federation/contexts/ that
# holds each. Pre-seeding bovine's context cache with them makes bovine store remote objects the
# way it does online; without them it falls back to empty contexts (what bovine does offline),
# which still works but mangles e.g. publicKey in its stored copies.
KITH_CONTEXT_FILES = {
    "https://w3id.org/security/v1": "security-v1.jsonld",
    "https://www.w3.org/ns/did/v1": "did-v1.jsonld",
    "https://w3id.org/security/multikey/v1": "multikey-v1.jsonld",
    "https://w3id.org/security/data-integrity/v1": "data-integrity-v1.jsonld",
    "https://w3id.org/identity/v1": "identity-v1.jsonld",
    "https://purl.archive.org/socialweb/webfinger": "webfinger.jsonld",
}


def ap_id(value: Any) -> Any:
    """The id of an ActivityStreams reference that may be an embedded object or a bare id."""
    return value.get("id") if isinstance(value, dict) else value


class InteropUnavailable(RuntimeError):
    """The interop peer cannot run on this machine; the message says why (use it for pytest.skip)."""


class BovineCommandError(RuntimeError):
    """A `_bovine_ctl.py` command failed (its stderr is in the message)."""


def _log(message: str) -> None:
    print(f"kith-interop: {message}", file=sys.stderr, flush=True)


# --- the bovine venv ---------------------------------------------------------------------------


_venv_failure: dict[Path, str] = {}


def cache_dir() -> Path:
    return Path(os.environ.get("KITH_INTEROP_CACHE") or Path.home() / ".cache" / "kith-interop")


def ensure_bovine_venv(cache: Path | None = None) -> Path:
    """The python of a venv holding bovine-herd (requirements-bovine.txt); built once, then reused.

    `KITH_INTEROP_BOVINE_PYTHON` names an existing interpreter to use instead. The venv's directory
    name hashes the requirements and the Python version, so changing either builds a fresh one.
    """
    override = os.environ.get("KITH_INTEROP_BOVINE_PYTHON")
    if override:
        return Path(override)
    cache = cache or cache_dir()
    reqs = REQUIREMENTS.read_bytes()
    key = hashlib.sha256(reqs + f"{sys.version_info[:2]}".encode()).hexdigest()[:12]
    venv_dir = cache / f"bovine-venv-{key}"
    python = venv_dir / "bin" / "python"
    marker = venv_dir / ".kith-interop-ok"
    if marker.exists() and python.exists():
        return python
    if _venv_failure.get(venv_dir):
        raise InteropUnavailable(_venv_failure[venv_dir])
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # parallel test processes build it once
        if marker.exists() and python.exists():
            return python
        shutil.rmtree(venv_dir, ignore_errors=True)
        _log(f"building the bovine venv in {venv_dir} (once)")
        steps = [
            [sys.executable, "-m", "venv", str(venv_dir)],
            [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-r", str(REQUIREMENTS)],
            [str(python), "-c", "import bovine_herd, hypercorn, quart"],
        ]
        for step in steps:
            what = " ".join(Path(step[0]).name if i == 0 else a for i, a in enumerate(step[:5]))
            try:
                done = subprocess.run(step, capture_output=True, text=True, timeout=900)
                error = None if done.returncode == 0 else (done.stderr or done.stdout).strip().splitlines()
            except (OSError, subprocess.TimeoutExpired) as exc:
                error = [str(exc)]
            if error is not None:
                message = f"cannot install bovine ({what}): {error[-1] if error else 'failed'}"
                message += "\n" + "\n".join(error[-15:])
                _venv_failure[venv_dir] = message  # don't retry in this process
                raise InteropUnavailable(message)
        marker.write_text(REQUIREMENTS.read_text())
    return python


# --- TLS: a throwaway CA and host certificates made with openssl -------------------------------


@dataclass
class TestCA:
    """A local certificate authority. `bundle` (this CA plus the system roots) is what both sides
    use as SSL_CERT_FILE; `issue(host)` makes a certificate for a host name."""

    __test__ = False  # not a pytest test class

    directory: Path
    cert: Path
    key: Path
    bundle: Path

    def issue(self, hostname: str, *alt_names: str) -> tuple[Path, Path]:
        """(certificate, key) PEM files for `hostname` (and DNS `alt_names`), signed by this CA."""
        cert = self.directory / f"{hostname}.pem"
        key = self.directory / f"{hostname}.key"
        if cert.exists() and key.exists():
            return cert, key
        names = ",".join(f"DNS:{n}" for n in (hostname, *alt_names))
        ext = self.directory / f"{hostname}.ext"
        ext.write_text(
            f"subjectAltName={names}\nbasicConstraints=critical,CA:FALSE\n"
            "keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n"
            "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid,issuer\n"
        )
        csr = self.directory / f"{hostname}.csr"
        _openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                 "-keyout", key, "-out", csr, "-subj", f"/CN={hostname}")
        _openssl("x509", "-req", "-in", csr, "-CA", self.cert, "-CAkey", self.key,
                 "-set_serial", str(secrets.randbits(63)), "-days", "7", "-sha256",
                 "-extfile", ext, "-out", cert)
        return cert, key

    def server_ssl_context(self, hostname: str) -> ssl.SSLContext:
        """An SSLContext serving `hostname` (e.g. for aiohttp's `web.TCPSite(..., ssl_context=)`)."""
        cert, key = self.issue(hostname)
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(cert, key)
        return ctx

    def client_ssl_context(self) -> ssl.SSLContext:
        """An SSLContext that trusts this CA (and the system roots)."""
        return ssl.create_default_context(cafile=str(self.bundle))

    def env(self) -> dict[str, str]:
        """Environment for a process that must trust this CA (OpenSSL-based clients, requests)."""
        return {"SSL_CERT_FILE": str(self.bundle), "REQUESTS_CA_BUNDLE": str(self.bundle)}


def _openssl(*args: Any) -> None:
    if shutil.which("openssl") is None:
        raise InteropUnavailable("the openssl command is not installed (apt-get install openssl)")
    done = subprocess.run(["openssl", *map(str, args)], capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise InteropUnavailable(f"openssl {args[0]} failed: {done.stderr.strip()[-500:]}")


def make_ca(directory: Path | str) -> TestCA:
    """Create (or reuse) a CA in `directory`."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    cert, key, bundle = directory / "ca.pem", directory / "ca.key", directory / "ca-bundle.pem"
    if not (cert.exists() and key.exists()):
        _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                 "-keyout", key, "-out", cert, "-days", "7", "-sha256", "-subj", "/CN=Kith interop test CA",
                 "-addext", "basicConstraints=critical,CA:TRUE",
                 "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                 "-addext", "subjectKeyIdentifier=hash")
    if not bundle.exists():
        system = ssl.get_default_verify_paths().openssl_cafile
        roots = Path(system).read_text() if system and Path(system).is_file() else ""
        bundle.write_text(cert.read_text() + ("\n" + roots if roots else ""))
    return TestCA(directory=directory, cert=cert, key=key, bundle=bundle)


# --- host names on loopback --------------------------------------------------------------------


def ensure_hosts(mapping: Mapping[str, str], hosts_file: Path = HOSTS_FILE) -> list[str]:
    """Make each host name in `mapping` resolve to its loopback address via /etc/hosts.

    Idempotent: only missing names are appended (under a marked comment), and the lines added are
    returned and announced on stderr. A name already mapped elsewhere is an error.
    """
    for address in mapping.values():
        if not address.startswith("127."):
            raise ValueError(f"{address} is not a loopback address")
    text = hosts_file.read_text() if hosts_file.exists() else ""
    known: dict[str, str] = {}
    for line in text.splitlines():
        fields = line.split("#", 1)[0].split()
        for name in fields[1:]:
            known.setdefault(name.lower(), fields[0])
    missing = []
    for name, address in mapping.items():
        current = known.get(name.lower())
        if current is None:
            missing.append(f"{address} {name}")
        elif current != address:
            raise InteropUnavailable(f"{hosts_file} maps {name} to {current}, not {address}")
    if not missing:
        return []
    block = ("" if text.endswith("\n") or not text else "\n") + HOSTS_MARKER + "\n" + "\n".join(missing) + "\n"
    try:
        with open(hosts_file, "a") as fh:
            fh.write(block)
    except OSError as exc:
        raise InteropUnavailable(
            f"cannot write {hosts_file} ({exc}); add these lines as root: " + "; ".join(missing)
        ) from exc
    message = f"added to {hosts_file}: " + "; ".join(missing)
    _log(message)
    warnings.warn(f"kith-interop {message}", stacklevel=2)  # so pytest's summary tells the user
    return missing


# --- the peer ----------------------------------------------------------------------------------


@dataclass
class BovineAccount:
    """An account on the bovine peer, and the credential its client signs with (Moo-Auth-1)."""

    handle: str
    acct: str  # acct:handle@host
    actor_id: str  # bovine uses opaque URLs: https://bovine.test/endpoints/<random>
    inbox: str
    outbox: str
    followers: str
    following: str
    public_key_id: str  # <actor_id>#serverKey -- the keyId of its HTTP signatures
    secret: str = field(repr=False)  # Ed25519 private key (multibase) for Moo-Auth-1
    bovine_name: str = ""
    raw: dict = field(default_factory=dict, repr=False)


class BovinePeer:
    """A bovine-herd server on `address:port` (loopback) serving https://`hostname`.

    `start()` builds/reuses the venv, maps its host name, kith.test and `extra_hosts` (name ->
    loopback address) in /etc/hosts (`manage_hosts`), issues its certificate from `ca`, and waits
    until it answers over HTTPS. Names added to /etc/hosts after it started are NOT seen by it
    (c-ares reads the file once), so list every other server it must reach in `extra_hosts` or
    call `ensure_hosts` first. The server and every client command trust `ca.bundle` through
    SSL_CERT_FILE. Use as a context manager.
    """

    def __init__(
        self,
        *,
        ca: TestCA,
        workdir: Path | str,
        hostname: str = BOVINE_HOST,
        address: str = BOVINE_ADDRESS,
        port: int = 443,
        extra_hosts: Mapping[str, str] | None = None,
        manage_hosts: bool = True,
        jsonld_contexts: Mapping[str, Path | str] | None = None,
        python: Path | str | None = None,
        startup_timeout: float = 30.0,
        command_timeout: float = 60.0,
    ):
        if not address.startswith("127."):
            raise ValueError("the bovine peer only listens on loopback (127.0.0.0/8)")
        self.ca = ca
        self.workdir = Path(workdir)
        self.hostname = hostname
        self.address = address
        self.port = port
        self.extra_hosts = dict(extra_hosts or {})
        self.manage_hosts = manage_hosts
        self.jsonld_contexts = jsonld_contexts
        self.python = Path(python) if python else None
        self.startup_timeout = startup_timeout
        self.command_timeout = command_timeout
        self.process: subprocess.Popen | None = None
        self.log_path = self.workdir / "bovine.log"
        self.db_url = f"sqlite://{self.workdir / 'bovine.sqlite3'}"

    # lifecycle

    @property
    def base_url(self) -> str:
        """https://host (with :port when it is not 443) -- bovine's "domain"."""
        return f"https://{self.hostname}" + ("" if self.port == 443 else f":{self.port}")

    def __enter__(self) -> BovinePeer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        if self.process is not None:
            return
        self.python = self.python or ensure_bovine_venv()
        if not Path(self.python).exists():
            raise InteropUnavailable(f"no bovine python at {self.python}")
        if self.manage_hosts:
            # Every name this server will ever contact must resolve before it starts: bovine's
            # aiohttp resolves through aiodns (c-ares), which reads /etc/hosts once per process.
            ensure_hosts({self.hostname: self.address, KITH_HOST: KITH_ADDRESS, **self.extra_hosts})
        self.workdir.mkdir(parents=True, exist_ok=True)
        cert, key = self.ca.issue(self.hostname)
        self._seed_jsonld_cache()
        with socket.socket() as probe:
            probe.settimeout(0.5)
            if probe.connect_ex((self.address, self.port)) == 0:
                raise InteropUnavailable(f"something already listens on {self.address}:{self.port}")
        log = open(self.log_path, "ab")
        try:
            self.process = subprocess.Popen(
                [str(self.python), str(APP), "--bind", f"{self.address}:{self.port}",
                 "--certfile", str(cert), "--keyfile", str(key)],
                cwd=self.workdir, env=self._env(), stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True,
            )
        finally:
            log.close()
        deadline = time.monotonic() + self.startup_timeout
        while True:
            if self.process.poll() is not None:
                raise InteropUnavailable(f"bovine-herd exited ({self.process.returncode}):\n{self.log_tail()}")
            try:
                status, _, _ = self.https_get("/.well-known/nodeinfo", timeout=2)
                if status == 200:
                    return
            except (OSError, urllib.error.URLError):
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise InteropUnavailable(f"bovine-herd did not answer on {self.base_url}:\n{self.log_tail()}")
            time.sleep(0.1)

    def stop(self) -> None:
        proc, self.process = self.process, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    # plain HTTPS, unsigned (what any stranger can see)

    def https_get(self, path_or_url: str, *, accept: str = "application/activity+json",
                  timeout: float = 10) -> tuple[int, dict[str, str], bytes]:
        """(status, headers with lower-case names, body) of an unsigned GET."""
        url = path_or_url if "://" in path_or_url else self.base_url + path_or_url
        req = urllib.request.Request(url, headers={"Accept": accept, "User-Agent": "kith-interop"})
        try:
            with urllib.request.urlopen(req, timeout=timeout, context=self.ca.client_ssl_context()) as resp:
                return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()

    def webfinger(self, acct: str) -> dict:
        """The WebFinger JRD for `acct:user@host` (unauthenticated, as every server serves it)."""
        query = urllib.parse.urlencode({"resource": acct})
        status, _, body = self.https_get(f"/.well-known/webfinger?{query}", accept="application/jrd+json")
        if status != 200:
            raise BovineCommandError(f"webfinger {acct}: HTTP {status}: {body[:300]!r}")
        return json.loads(body)

    # accounts and activities (bovine's own client, over HTTPS)

    def create_actor(self, handle: str) -> BovineAccount:
        data = self._ctl("create-actor", "--db", self.db_url, "--domain", self.base_url, "--handle", handle)
        return BovineAccount(
            handle=data["handle"], acct=data["acct"], actor_id=data["actor_id"], inbox=data["inbox"],
            outbox=data["outbox"], followers=data["followers"], following=data["following"],
            public_key_id=data["public_key_id"], secret=data["secret"], bovine_name=data["bovine_name"],
            raw=data,
        )

    def follow(self, account: BovineAccount, target_actor: str) -> dict:
        """Send Follow(target) from `account`; returns {"id": follow id, "activity": {...}}."""
        return self._client(account, "follow", target_actor)

    def unfollow(self, account: BovineAccount, target_actor: str) -> dict:
        """Send Undo(Follow) for the account's Follow of `target_actor`."""
        return self._client(account, "unfollow", target_actor)

    def accept_follows(self, account: BovineAccount, only: Iterable[str] = ()) -> list[str]:
        """Accept every Follow of `account` in its inbox not accepted yet (bovine never accepts by
        itself); `only` restricts it to those actors. Returns the Follow ids accepted."""
        args: list[str] = []
        for actor in only:
            args += ["--only", actor]
        return self._client(account, "accept-follows", *args)

    def post_note(self, account: BovineAccount, content: str, *, to: Iterable[str] = (),
                  direct: bool = False, in_reply_to: str | None = None) -> dict:
        """Publish a Note. Public by default (to Public, cc followers, plus `to` in cc); `direct`
        addresses it to `to` only. Returns {"id": Create id, "object_id": Note id, "activity"}."""
        args = [content]
        for recipient in to:
            args += ["--to", recipient]
        if direct:
            args.append("--direct")
        if in_reply_to:
            args += ["--in-reply-to", in_reply_to]
        return self._client(account, "post", *args)

    def inbox(self, account: BovineAccount) -> list[dict]:
        """What arrived in the account's inbox, newest first, as bovine stored it (JSON-LD
        compacted against bovine's context: e.g. `"to": ["as:Public"]`, actor/object embedded)."""
        return self._client(account, "inbox")

    def outbox(self, account: BovineAccount) -> list[dict]:
        return self._client(account, "outbox")

    def followers(self, account: BovineAccount) -> list[str]:
        return self._client(account, "followers")

    def following(self, account: BovineAccount) -> list[str]:
        return self._client(account, "following")

    def fetch(self, account: BovineAccount, url: str) -> dict | None:
        """Have bovine resolve `url` as `account` (its proxyUrl): its stored copy, or a GET signed
        with the account's key. None if not found."""
        return self._client(account, "fetch", url)

    def lookup(self, account: BovineAccount, acct: str) -> dict | None:
        """Have bovine resolve `acct:user@host` via WebFinger and fetch the actor."""
        return self._client(account, "lookup", acct)

    def wait_for_inbox(self, account: BovineAccount, predicate: Callable[[dict], bool],
                       timeout: float = 15.0, interval: float = 0.3) -> dict:
        """Poll the inbox until an item matches `predicate`; returns it (AssertionError on timeout)."""
        deadline = time.monotonic() + timeout
        seen: list[dict] = []
        while True:
            seen = self.inbox(account)
            for item in seen:
                if predicate(item):
                    return item
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"nothing matching arrived in {account.acct}'s inbox within {timeout}s; inbox: "
                    f"{json.dumps(seen)[:2000]}\n--- bovine log ---\n{self.log_tail()}"
                )
            time.sleep(interval)

    def wait_until(self, check: Callable[[], Any], timeout: float = 15.0, interval: float = 0.3) -> Any:
        """Poll `check()` until it returns something truthy; returns that value."""
        deadline = time.monotonic() + timeout
        while True:
            value = check()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"condition not met within {timeout}s\n--- bovine log ---\n{self.log_tail()}")
            time.sleep(interval)

    # internals

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
        env.update(self.ca.env())
        env["BOVINE_DB_URL"] = self.db_url
        return env

    def _ctl(self, *args: str) -> Any:
        if self.python is None:
            self.python = ensure_bovine_venv()
        self.workdir.mkdir(parents=True, exist_ok=True)
        try:
            done = subprocess.run([str(self.python), str(CTL), *args], cwd=self.workdir, env=self._env(),
                                  capture_output=True, text=True, timeout=self.command_timeout)
        except subprocess.TimeoutExpired as exc:
            raise BovineCommandError(f"bovine {args[0]} timed out\n--- bovine log ---\n{self.log_tail()}") from exc
        if done.returncode != 0:
            raise BovineCommandError(
                f"bovine {args[0]} failed ({done.returncode}):\n{done.stderr.strip()[-3000:]}"
                f"\n--- bovine log ---\n{self.log_tail()}"
            )
        return json.loads(done.stdout)

    def _client(self, account: BovineAccount, command: str, *args: str) -> Any:
        return self._ctl(command, "--domain", self.base_url, "--secret", account.secret, *args)

    def _seed_jsonld_cache(self) -> None:
        contexts = self.jsonld_contexts
        if contexts is None:
            directory = REPO / "federation" / "contexts"
            contexts = {url: directory / name for url, name in KITH_CONTEXT_FILES.items()
                        if (directory / name).is_file()}
        if not contexts:
            return
        with contextlib.closing(sqlite3.connect(self.workdir / "bovine_jsonld_cache.sqlite")) as db:
            db.execute("CREATE TABLE IF NOT EXISTS jsonld (url TEXT PRIMARY KEY, context TEXT)")
            for url, path in contexts.items():
                document = json.loads(Path(path).read_text())
                db.execute("INSERT OR REPLACE INTO jsonld VALUES (?, ?)",
                           (url, json.dumps(document.get("@context", document))))
            db.commit()
