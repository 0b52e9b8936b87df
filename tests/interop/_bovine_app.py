"""The bovine-herd ASGI app the interop harness serves with hypercorn.

Runs inside the bovine venv (never imported by Kith's tests). This is bovine_herd's documented
minimal server (`BovineHerd(Quart(...))`) plus two things the test machine needs:

* the database URL comes from BOVINE_DB_URL;
* JSON-LD contexts are never fetched from the network (see `_offline_jsonld`), because this
  machine has no internet and the tests must only talk to loopback.
"""

from __future__ import annotations

import logging
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _bovine_offline import install_offline_jsonld  # noqa: E402

install_offline_jsonld()

from quart import Quart  # noqa: E402

from bovine_herd import BovineHerd  # noqa: E402

logging.basicConfig(
    level=os.environ.get("BOVINE_LOG_LEVEL", "INFO"),
    format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    stream=sys.stderr,
)

app = Quart(__name__)
BovineHerd(app, db_url=os.environ["BOVINE_DB_URL"])


def main() -> None:
    """Serve `app` over HTTPS in this one process (hypercorn's CLI would fork a worker)."""
    import argparse
    import asyncio
    import signal

    from hypercorn.asyncio import serve
    from hypercorn.config import Config

    parser = argparse.ArgumentParser()
    parser.add_argument("--bind", required=True, help="ADDRESS:PORT")
    parser.add_argument("--certfile", required=True)
    parser.add_argument("--keyfile", required=True)
    args = parser.parse_args()

    config = Config()
    config.bind = [args.bind]
    config.certfile = args.certfile
    config.keyfile = args.keyfile
    config.accesslog = "-"
    config.errorlog = "-"
    config.graceful_timeout = 2

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await serve(app, config, shutdown_trigger=stop.wait)

    asyncio.run(run())


if __name__ == "__main__":
    main()
