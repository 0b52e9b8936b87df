"""The `kith` command: run | worker | migrate | user create | user list."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg

from server import logs, serve
from server.config import Config, ConfigError, load_config
from server.db.migrate import migrate
from server.db.pool import create_pool
from server.errors import AppError
from server.models import Role


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help="TOML settings file")
    parser.add_argument("--data-dir", dest="data_dir", help="where Kith keeps its data (default ./kith-data)")
    parser.add_argument("--database-url", dest="database_url", help="external PostgreSQL URL (default: embedded)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kith", description="Kith, a community-owned fediverse server.")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="serve the web UI, the API and federation")
    _common(run)
    run.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    run.add_argument("--port", type=int, help="port to listen on (default 8080)")
    run.add_argument("--domain", help="public host name, may include :port (default host:port)")
    run.add_argument("--processes", type=int, help="processes sharing the port, one per core (default 1)")
    run.add_argument(
        "--insecure-federation",
        dest="insecure_federation",
        action="store_const",
        const=True,
        help="LOCAL TESTING ONLY: use http:// for this instance's URLs and for other instances",
    )
    run.add_argument(
        "--allow-private-host",
        dest="allow_private_hosts",
        action="append",
        metavar="HOST",
        help="LOCAL TESTING ONLY: a host that may resolve to a loopback or private address (repeatable)",
    )

    worker = sub.add_parser("worker", help="run only the federation workers (more capacity, other machines)")
    _common(worker)
    worker.add_argument("--domain", help="public host name of the instance (must match `kith run`)")
    worker.add_argument("--insecure-federation", dest="insecure_federation", action="store_const", const=True,
                        help="LOCAL TESTING ONLY: as for `kith run`")
    worker.add_argument("--allow-private-host", dest="allow_private_hosts", action="append", metavar="HOST",
                        help="LOCAL TESTING ONLY: as for `kith run`")
    worker.add_argument("--metrics-port", type=int, default=0, metavar="PORT",
                        help="also serve /metrics, /health and /ready on this port (on `host`), as `kith run` does")

    run.add_argument("--tls-cert", dest="tls_cert", help="serve HTTPS with this PEM certificate chain")
    run.add_argument("--tls-key", dest="tls_key", help="the private key for --tls-cert")

    mig = sub.add_parser("migrate", help="apply database migrations and exit")
    _common(mig)

    user = sub.add_parser("user", help="manage local accounts")
    user_sub = user.add_subparsers(dest="user_command", required=True)
    create = user_sub.add_parser("create", help="create an account")
    _common(create)
    create.add_argument("username")
    create.add_argument("--password", help="(default: a generated one, printed)")
    create.add_argument("--email")
    create.add_argument("--role", choices=[r.value for r in Role], default=Role.MEMBER.value)
    listing = user_sub.add_parser("list", help="list local accounts")
    _common(listing)
    password = user_sub.add_parser("password", help="set a member's password (they are signed out everywhere)")
    _common(password)
    password.add_argument("username")
    password.add_argument("--password", help="(default: a generated one, printed)")
    export = user_sub.add_parser("export", help="write a member's archive (a ZIP like Mastodon's) to a file")
    _common(export)
    export.add_argument("username")
    export.add_argument("file")
    delete = user_sub.add_parser("delete", help="delete a member's account for good (other servers are told)")
    _common(delete)
    delete.add_argument("username")
    delete.add_argument("--yes", action="store_true", help="confirm: there is no undo")
    two_factor_off = user_sub.add_parser(
        "disable-2fa", help="turn off a member's two-factor sign-in (lost app and recovery codes; they are mailed)")
    _common(two_factor_off)
    two_factor_off.add_argument("username")
    role = user_sub.add_parser("role", help="make an account admin, moderator or member")
    _common(role)
    role.add_argument("username")
    role.add_argument("role", choices=[r.value for r in Role])

    media = sub.add_parser("media", help="media files")
    media_sub = media.add_subparsers(dest="media_command", required=True)
    media_cleanup = media_sub.add_parser(
        "cleanup", help="remove unused uploads, deleted posts' files and expired copies of remote media")
    _common(media_cleanup)
    media_cleanup.add_argument("--dry-run", action="store_true", help="only say what would go, removing nothing")

    emoji = sub.add_parser("emoji", help="this instance's custom emoji")
    emoji_sub = emoji.add_subparsers(dest="emoji_command", required=True)
    emoji_add = emoji_sub.add_parser("add", help="add an emoji (PNG, GIF or WebP, up to 256 KB)")
    _common(emoji_add)
    emoji_add.add_argument("shortcode")
    emoji_add.add_argument("file")
    emoji_add.add_argument("--category", default="")

    rules = sub.add_parser("rules", help="content rules as data (TOML or JSON)")
    rules_sub = rules.add_subparsers(dest="rules_command", required=True)
    rules_export = rules_sub.add_parser("export", help="print the rules in force")
    _common(rules_export)
    rules_export.add_argument("--format", choices=["toml", "json"], default="toml")
    rules_import = rules_sub.add_parser("import", help="validate a rules file and make it the new version")
    _common(rules_import)
    rules_import.add_argument("file")

    domain = sub.add_parser("domain", help="domain policies (suspend, limit, reject media or reports)")
    domain_sub = domain.add_subparsers(dest="domain_command", required=True)
    block = domain_sub.add_parser("block", help="set a policy on a domain (and its subdomains)")
    _common(block)
    block.add_argument("target", metavar="DOMAIN")
    block.add_argument("--severity", choices=["suspend", "limit", "silence", "noop"], default="suspend")
    block.add_argument("--reject-media", action="store_true")
    block.add_argument("--reject-reports", action="store_true")
    block.add_argument("--public-comment", default="")
    block.add_argument("--private-comment", default="")
    block.add_argument("--obfuscate", action="store_true")
    block.add_argument("--yes", action="store_true", help="apply without showing what it severs first")
    unblock = domain_sub.add_parser("unblock", help="remove a domain's policy")
    _common(unblock)
    unblock.add_argument("target", metavar="DOMAIN")
    for name, text in (("allow", "federate with DOMAIN in allowlist mode"),
                       ("disallow", "take DOMAIN off the allowlist")):
        allow = domain_sub.add_parser(name, help=text)
        _common(allow)
        allow.add_argument("target", metavar="DOMAIN")
    domains_list = domain_sub.add_parser("list", help="list domain policies")
    _common(domains_list)
    importer = domain_sub.add_parser("import", help="import a Mastodon blocklist CSV (shows what it severs first)")
    _common(importer)
    importer.add_argument("file")
    importer.add_argument("--yes", action="store_true", help="apply after showing the preview")
    exporter = domain_sub.add_parser("export", help="print the policies as a Mastodon blocklist CSV")
    _common(exporter)

    backup = sub.add_parser("backup", help="write the database and the media to one file (while Kith runs)")
    _common(backup)
    backup.add_argument("file")
    restore = sub.add_parser("restore", help="restore a backup into a new data directory or an empty database")
    _common(restore)
    restore.add_argument("file")
    restore.add_argument("--force", action="store_true", help="replace a data directory or database that has data")
    return parser


def config_from_args(args: argparse.Namespace) -> Config:
    keys = ("data_dir", "database_url", "host", "port", "domain", "insecure_federation", "allow_private_hosts",
            "tls_cert", "tls_key", "processes")
    overrides = {k: getattr(args, k) for k in keys if getattr(args, k, None) is not None}
    return load_config(args.config, overrides=overrides)


async def _with_pool(cfg: Config, work: Callable[[asyncpg.Pool], Awaitable[Any]]) -> Any:
    from server.app import database_url

    pool = await create_pool(database_url(cfg), max_size=2)
    try:
        async with pool.acquire() as conn:
            await migrate(conn)
        return await work(pool)
    finally:
        await pool.close()


async def _user_create(pool: asyncpg.Pool, args: argparse.Namespace) -> None:
    from server.domain import accounts

    password = args.password or accounts.generate_password()
    account = await accounts.create_member(
        pool, args.username, password, email=args.email, role=Role(args.role), check_reserved=False
    )
    print(f"Created {args.role} @{account.username}.")
    if not args.password:
        print(f"Password: {password}")


async def _user_role(pool: asyncpg.Pool, args: argparse.Namespace) -> None:
    from server.store import accounts as accounts_store
    from server.store import domains as domains_store

    account = await accounts_store.get_local(pool, args.username)
    if account is None or not await accounts_store.set_role(pool, account.id, args.role):
        raise AppError(404, f"There is no member called {args.username!r}.")
    await domains_store.log(pool, None, f"role: {args.role}", f"@{account.username}", "command line")
    print(f"@{account.username} is now {args.role}.")


async def _user_password(pool: asyncpg.Pool, args: argparse.Namespace) -> None:
    from server.domain import account_care, accounts
    from server.store import accounts as accounts_store

    account = await accounts_store.get_local(pool, args.username)
    if account is None or await accounts_store.get_user(pool, account.id) is None:
        raise AppError(404, f"There is no member called {args.username!r}.")
    password = args.password or accounts.generate_password()
    await account_care.set_password(pool, account.id, password)
    print(f"@{account.username}'s password is changed; they are signed out everywhere.")
    if not args.password:
        print(f"Password: {password}")


async def _user_disable_2fa(cfg: Config, pool: asyncpg.Pool, args: argparse.Namespace) -> None:
    from server.domain import instance, two_factor
    from server.store import accounts as accounts_store

    account = await accounts_store.get_local(pool, args.username)
    if account is None or await accounts_store.get_user(pool, account.id) is None:
        raise AppError(404, f"There is no member called {args.username!r}.")
    site = await instance.Settings(pool, cfg).current()
    await two_factor.staff_disable(pool, site.instance_name, None, account)
    print(f"@{account.username}'s two-factor sign-in is off; their password alone signs them in.")


async def _user_export(cfg: Config, pool: asyncpg.Pool, args: argparse.Namespace) -> None:
    from server.domain import archive
    from server.media.storage import storage_for
    from server.store import accounts as accounts_store
    from server.urls import Urls

    account = await accounts_store.get_local(pool, args.username)
    if account is None or await accounts_store.get_user(pool, account.id) is None:
        raise AppError(404, f"There is no member called {args.username!r}.")
    data = await archive.build(pool, Urls(cfg.base_url, storage_for(cfg)), storage_for(cfg), account)
    try:
        Path(args.file).write_bytes(data)
    except OSError as exc:
        raise AppError(400, f"cannot write {args.file}: {exc}") from None
    print(f"@{account.username}'s archive ({len(data):,} bytes) is in {args.file}.")


async def _user_delete(cfg: Config, pool: asyncpg.Pool, args: argparse.Namespace) -> None:
    from server.domain import account_deletion
    from server.errors import Invalid
    from server.media.storage import storage_for
    from server.store import accounts as accounts_store
    from server.urls import Urls

    if not args.yes:
        raise AppError(400, f"this deletes @{args.username} for good: add --yes to confirm")
    account = await accounts_store.get_local(pool, args.username)
    if account is None:
        raise AppError(404, f"There is no member called {args.username!r}.")
    try:
        await account_deletion.delete_member(pool, Urls(cfg.base_url, storage_for(cfg)), storage_for(cfg), account)
    except Invalid as exc:
        raise AppError(422, exc.message) from None
    print(f"@{account.username} is deleted; the Delete goes out when a worker runs (kith run or kith worker).")


async def _media_cleanup(cfg: Config, pool: asyncpg.Pool, args: argparse.Namespace) -> None:
    from server.media import cleanup
    from server.media.storage import storage_for
    from server.progress import Bar, human_bytes

    storage = storage_for(cfg)
    found = await cleanup.survey(pool, storage, cfg.remote_media_days)
    if args.dry_run:
        done = found
    else:
        bar = Bar("Removing", found.total_files, unit="files")
        done = await cleanup.clean(pool, storage, cfg.remote_media_days, bar.advance)
        bar.finish()
    for name, files in done.files.items():
        print(f"{name}: {files} files")
    verb = "would be freed" if args.dry_run else "freed"
    print(f"{done.total_files} files, {human_bytes(done.bytes)} {verb}.")


async def _emoji(cfg: Config, pool: asyncpg.Pool, args: argparse.Namespace) -> None:
    from server.domain import emojis
    from server.errors import Invalid
    from server.media.storage import storage_for

    try:
        data = Path(args.file).read_bytes()
    except OSError as exc:
        raise AppError(400, f"cannot read {args.file}: {exc}") from None
    try:
        made = await emojis.add(pool, storage_for(cfg), None, args.shortcode, data, args.category)
    except Invalid as exc:
        raise AppError(422, exc.message) from None
    print(f":{made.shortcode}: is added.")


async def _rules(pool: asyncpg.Pool, args: argparse.Namespace) -> None:
    from server.domain import content_rules
    from server.errors import Invalid

    if args.rules_command == "export":
        _, rules = await content_rules.active(pool)
        print(content_rules.dump_toml(rules) if args.format == "toml" else content_rules.dump_json(rules))
        return
    try:
        text = Path(args.file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AppError(400, f"cannot read {args.file}: {exc}") from None
    try:
        version = await content_rules.save(pool, text, None, f"imported from {Path(args.file).name}")
    except Invalid as exc:
        raise AppError(422, f"nothing was changed: {exc.message}") from None
    print(f"Rules saved as version {version}.")


async def _domain(pool: asyncpg.Pool, args: argparse.Namespace) -> None:
    from server.domain import blocklists, moderation
    from server.errors import Invalid
    from server.store import domains as domains_store
    from server.store.domains import DomainPolicy

    try:
        if args.domain_command == "list":
            for p in await domains_store.all_policies(pool):
                flags = " ".join(f for f in ("reject_media", "reject_reports", "obfuscate") if getattr(p, f))
                print(f"{p.domain}\t{p.severity}\t{flags}\t{p.public_comment}")
            return
        if args.domain_command in ("allow", "disallow"):
            changed = await moderation.allow_domain(pool, args.target, None, allowed=args.domain_command == "allow")
            print(f"{args.target}: {'allowed' if args.domain_command == 'allow' else 'not allowed'}"
                  f"{'' if changed else ' (no change)'}.")
            return
        if args.domain_command == "export":
            print(blocklists.export(await domains_store.all_policies(pool)), end="")
            return
        if args.domain_command == "import":
            try:
                text = Path(args.file).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise AppError(400, f"cannot read {args.file}: {exc}") from None
            parsed = blocklists.parse(text)
            if parsed.errors:
                raise AppError(422, "nothing was applied:\n" + "\n".join(parsed.errors))
            for policy, follows, members in await blocklists.preview(pool, parsed.policies):
                severs = f"severs {follows} follow(s) of {members} member(s)" if policy.severity == "suspend" else ""
                print(f"{policy.domain}\t{policy.severity}\t{severs}")
            if not args.yes:
                raise AppError(409, "Nothing was changed. Run again with --yes to apply.")
            await blocklists.apply(pool, parsed.policies, None)
            print(f"Applied {len(parsed.policies)} policies.")
            return
        if args.domain_command == "unblock":
            if not await moderation.remove_domain_policy(pool, args.target, None, "command line"):
                raise AppError(404, f"{args.target} has no policy.")
            print(f"Removed the policy on {args.target}.")
            return
        policy = moderation.validate(DomainPolicy(
            args.target, args.severity, args.reject_media, args.reject_reports, args.public_comment,
            args.private_comment, args.obfuscate))
        follows, members = await domains_store.impact(pool, policy.domain)
        if policy.severity == "suspend":
            print(f"Suspending {policy.domain} severs {follows} follow relationship(s) of {members} member(s).")
            if follows and not args.yes:
                raise AppError(409, "Nothing was changed. Run again with --yes to apply.")
        await moderation.set_domain_policy(pool, policy, None, "command line")
        print(f"{policy.domain}: {policy.severity}.")
    except Invalid as exc:
        raise AppError(422, exc.message) from None


async def _user_list(pool: asyncpg.Pool) -> None:
    from server.store import accounts as accounts_store

    users = await accounts_store.list_users(pool)
    if not users:
        print("No accounts yet. Create one with: kith user create NAME")
    for user in users:
        print(f"{user.account.username}\t{user.role}\t{user.email or '-'}\t{user.account.created_at:%Y-%m-%d}")


async def _serve_metrics(cfg: Config, pool: asyncpg.Pool, port: int) -> None:
    """The operations endpoints alone, under the same rules (metrics_allow, metrics_token)."""
    from aiohttp import web

    from server.keys import CONFIG, POOL
    from server.web import health

    app = web.Application()
    app[CONFIG], app[POOL] = cfg, pool
    app.add_routes(health.routes)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, cfg.host, port).start()


async def _worker(cfg: Config, metrics_port: int) -> None:
    """Federation workers only, sharing the database with `kith run` (any number of them); with a
    metrics port, their own counters (deliveries, key fetches) are served there."""
    from federation import runtime
    from federation.workers import run_forever
    from server.app import database_url
    from server.media.storage import storage_for
    from server.urls import Urls

    dsn = database_url(cfg)
    pool = await create_pool(dsn)
    try:
        async with pool.acquire() as conn:
            await migrate(conn)
        fed = await runtime.start(cfg, Urls(cfg.base_url, storage_for(cfg)), pool)
        if metrics_port:
            await _serve_metrics(cfg, pool, metrics_port)
        task = asyncio.current_task()
        assert task is not None
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        print(f"Kith worker for {cfg.base_url} is running; stop it with Ctrl-C.", flush=True)
        try:
            await run_forever(fed, dsn)
        finally:
            await fed.close()
    finally:
        await pool.close()


def _backup(cfg: Config, args: argparse.Namespace) -> None:
    from server import backup

    try:
        if args.command == "backup":
            print(backup.create(cfg, Path(args.file)))
        else:
            print(backup.restore(cfg, Path(args.file), force=args.force))
    except backup.BackupError as exc:
        raise AppError(400, str(exc)) from None


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        cfg = config_from_args(args)
    except ConfigError as exc:
        print(f"kith: configuration error: {exc}", file=sys.stderr)
        return 2
    logs.configure(cfg)
    try:
        if args.command == "run":
            serve.run(cfg)
        elif args.command == "worker":
            with contextlib.suppress(KeyboardInterrupt, asyncio.CancelledError):
                asyncio.run(_worker(cfg, args.metrics_port))
        elif args.command in ("backup", "restore"):
            _backup(cfg, args)
        elif args.command == "migrate":
            asyncio.run(_with_pool(cfg, lambda pool: asyncio.sleep(0)))
            print("Database is up to date.")
        elif args.command == "media":
            asyncio.run(_with_pool(cfg, lambda pool: _media_cleanup(cfg, pool, args)))
        elif args.command == "emoji":
            asyncio.run(_with_pool(cfg, lambda pool: _emoji(cfg, pool, args)))
        elif args.command == "rules":
            asyncio.run(_with_pool(cfg, lambda pool: _rules(pool, args)))
        elif args.command == "domain":
            asyncio.run(_with_pool(cfg, lambda pool: _domain(pool, args)))
        elif args.user_command == "create":
            asyncio.run(_with_pool(cfg, lambda pool: _user_create(pool, args)))
        elif args.user_command == "role":
            asyncio.run(_with_pool(cfg, lambda pool: _user_role(pool, args)))
        elif args.user_command == "export":
            asyncio.run(_with_pool(cfg, lambda pool: _user_export(cfg, pool, args)))
        elif args.user_command == "delete":
            asyncio.run(_with_pool(cfg, lambda pool: _user_delete(cfg, pool, args)))
        elif args.user_command == "disable-2fa":
            asyncio.run(_with_pool(cfg, lambda pool: _user_disable_2fa(cfg, pool, args)))
        elif args.user_command == "password":
            asyncio.run(_with_pool(cfg, lambda pool: _user_password(pool, args)))
        else:
            asyncio.run(_with_pool(cfg, _user_list))
    except AppError as exc:
        print(f"kith: {exc.message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
