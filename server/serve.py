"""How `kith run` serves: one process, or `processes` of them sharing the port.

One Python process uses one core. With `processes = N`, the first process starts the embedded
database (if any) and forks N-1 copies before any event loop exists; every process binds the
port with SO_REUSEPORT, so the kernel spreads incoming connections among them. Only the first runs
the federation workers (the web processes only store and enqueue). Their metrics are pooled
through prometheus-client's multiprocess directory, made here and removed at exit.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import signal
import ssl
import sys
import tempfile
import traceback

from server.config import Config


def run(cfg: Config) -> None:
    if cfg.insecure_federation:
        banner = "!" * 78
        print(
            f"{banner}\n! INSECURE FEDERATION: this instance uses http:// and trusts private addresses"
            f"\n! it is told to. For local testing only; never run a public instance like this.\n{banner}",
            file=sys.stderr,
        )
    ssl_context = None
    if cfg.tls_cert:
        ssl_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ssl_context.load_cert_chain(cfg.tls_cert, cfg.tls_key)
    listen = f"{'https' if ssl_context else 'http'}://{cfg.host}:{cfg.port}"
    print(f"Kith is listening on {listen} with {cfg.processes} process{'es' if cfg.processes > 1 else ''};"
          f" open {cfg.base_url}/ (sign in at {cfg.base_url}/login)", flush=True)
    if cfg.processes == 1:
        _serve(cfg, ssl_context, reuse_port=False)
    else:
        _serve_forked(cfg, ssl_context)


def _serve(cfg: Config, ssl_context: ssl.SSLContext | None, *, reuse_port: bool) -> None:
    from aiohttp import web

    from server.app import make_app

    web.run_app(make_app(cfg), host=cfg.host, port=cfg.port, print=None, access_log=None,
                ssl_context=ssl_context, reuse_port=reuse_port or None)


def _serve_forked(cfg: Config, ssl_context: ssl.SSLContext | None) -> None:
    if "prometheus_client" in sys.modules:
        raise RuntimeError("prometheus_client was imported before its multiprocess directory was set")
    metrics_dir = tempfile.mkdtemp(prefix="kith-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir  # read when prometheus-client is first imported
    from server.app import database_url

    cfg = dataclasses.replace(cfg, database_url=database_url(cfg))  # one embedded PostgreSQL for all
    children = []
    for _ in range(cfg.processes - 1):
        pid = os.fork()
        if pid == 0:  # a web process: it serves until told to stop, and never runs the parent's exit hooks
            try:
                _serve(dataclasses.replace(cfg, workers=False), ssl_context, reuse_port=True)
            except BaseException:
                traceback.print_exc()
                os._exit(1)
            os._exit(0)
        children.append(pid)
    try:
        _serve(cfg, ssl_context, reuse_port=True)
    finally:
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        for pid in children:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
        shutil.rmtree(metrics_dir, ignore_errors=True)
