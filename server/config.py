"""Settings: a TOML file, overridden by KITH_* environment variables, overridden by flags.

Every key is declared once in `Config`; anything else is refused at start with a
message naming the key, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REGISTRATION_MODES = ("open", "approval", "invite", "closed")
MEDIA_STORAGES = ("local", "s3")


class ConfigError(ValueError):
    """A setting is unknown or has a bad value; the message names the key."""


@dataclass(frozen=True)
class Config:
    host: str = "127.0.0.1"
    port: int = 8080
    domain: str = ""  # public host name, may include ":port"; default host:port
    data_dir: Path = Path("kith-data")
    database_url: str = ""  # empty: embedded PostgreSQL under data_dir
    insecure_federation: bool = False
    allow_private_hosts: tuple[str, ...] = ()
    registrations: str = "open"
    invites_by: str = "staff"  # who may create invite links: staff | members
    languages: str = "en"  # the instance's languages (ISO 639 codes, comma-separated)
    public_log: str = "anonymous"  # the public moderation log: off | anonymous (no staff names) | full
    federation_mode: str = "blocklist"  # blocklist: everyone but suspended domains; allowlist: listed domains only
    max_post_chars: int = 500
    instance_name: str = "Kith"
    instance_description: str = "A community-run corner of the fediverse."
    contact_email: str = ""
    privacy_policy: str = ""  # first-boot defaults of the pages at /privacy-policy and /terms (plain text)
    terms_of_service: str = ""
    login_attempts_per_15min: int = 5
    # Reverse proxies whose X-Forwarded-For is believed (for login throttling and logs).
    trusted_proxies: tuple[str, ...] = ("127.0.0.1", "::1")
    api_rate_limit: int = 300  # client API requests per 5 minutes per token or address
    log_level: str = "INFO"
    log_format: str = "text"  # text | json (one JSON object a line, for log shippers)
    # Who may read /metrics: these addresses or networks, or anyone sending `Authorization: Bearer <metrics_token>`.
    metrics_allow: tuple[str, ...] = ("127.0.0.1", "::1")
    metrics_token: str = field(default="", repr=False)
    tls_cert: str = ""  # serve HTTPS directly (PEM chain) instead of behind a TLS-terminating proxy
    tls_key: str = ""
    hide_follow_lists: bool = False  # followers/following collections show counts only
    authorized_fetch: bool = False  # require signed GETs for posts and collections (Mastodon's secure mode)
    workers: bool = True  # apply received activities and send deliveries inside `kith run`
    processes: int = 1  # `kith run` processes sharing the port (SO_REUSEPORT): one per core uses them all
    # Media files: under data_dir ("local") or in an S3-compatible bucket ("s3": every s3_* key below is
    # then needed but s3_endpoint). s3_public_url is where the objects are publicly readable (a CDN).
    media_storage: str = "local"
    s3_endpoint: str = ""  # e.g. https://s3.example.org; empty: Amazon S3 in s3_region
    s3_region: str = "us-east-1"
    s3_bucket: str = ""
    s3_access_key: str = ""
    s3_secret_key: str = field(default="", repr=False)  # kept out of logged reprs
    s3_public_url: str = ""
    min_free_disk_gb: int = 5  # the admin dashboard warns when the data directory's disk has less free
    remote_media_days: int = 30  # other servers' pictures are kept this long, then fetched again when needed
    # E-mail: through this SMTP server, or (no smtp_host) written as .eml files to data_dir/outbox/.
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_from: str = ""  # default: notifications@<domain>
    smtp_security: str = "starttls"  # none | starttls | tls
    # New members confirm their address before they may post; default: on when an SMTP host is set.
    require_email_confirmation: bool | None = None

    @property
    def mail_from(self) -> str:
        return self.smtp_from or f"notifications@{self.public_domain.split(':')[0]}"

    @property
    def public_domain(self) -> str:
        return self.domain or f"{self.host}:{self.port}"

    @property
    def scheme(self) -> str:
        return "http" if self.insecure_federation else "https"

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://{self.public_domain}"


_FIELDS = {f.name: f for f in fields(Config)}
_DOMAIN_RE = re.compile(r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?$")
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def _coerce(name: str, value: Any, source: str) -> Any:
    """Turn a raw value (TOML value or env string) into the field's type, or fail naming the key."""
    kind = _FIELDS[name].type
    where = f"{name} (from {source})"
    if kind in ("bool", "bool | None"):
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("1", "true", "yes", "on"):
            return True
        if isinstance(value, str) and value.lower() in ("0", "false", "no", "off", ""):
            return False
        raise ConfigError(f"{where}: expected true or false, got {value!r}")
    if kind == "int":
        if isinstance(value, bool):
            raise ConfigError(f"{where}: expected a whole number, got {value!r}")
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{where}: expected a whole number, got {value!r}") from None
    if kind == "Path":
        if not isinstance(value, (str, Path)) or not str(value):
            raise ConfigError(f"{where}: expected a directory path, got {value!r}")
        return Path(value)
    if kind == "tuple[str, ...]":
        if isinstance(value, str):
            value = [v for v in (p.strip() for p in value.split(",")) if v]
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where}: expected a list of strings, got {value!r}")
        return tuple(value)
    if not isinstance(value, str):
        raise ConfigError(f"{where}: expected a string, got {value!r}")
    return value


def _validate(cfg: Config) -> Config:
    if cfg.registrations not in REGISTRATION_MODES:
        raise ConfigError(
            f"registrations: must be one of {', '.join(REGISTRATION_MODES)}, got {cfg.registrations!r}"
        )
    if cfg.public_log not in ("off", "anonymous", "full"):
        raise ConfigError(f"public_log: must be off, anonymous or full, got {cfg.public_log!r}")
    if cfg.federation_mode not in ("blocklist", "allowlist"):
        raise ConfigError(f"federation_mode: must be blocklist or allowlist, got {cfg.federation_mode!r}")
    if cfg.invites_by not in ("staff", "members"):
        raise ConfigError(f"invites_by: must be staff or members, got {cfg.invites_by!r}")
    if not 1 <= cfg.port <= 65535:
        raise ConfigError(f"port: must be between 1 and 65535, got {cfg.port}")
    if cfg.domain and not _DOMAIN_RE.match(cfg.domain):
        raise ConfigError(f"domain: not a host name (with optional :port): {cfg.domain!r}")
    if not 1 <= cfg.max_post_chars <= 100_000:
        raise ConfigError(f"max_post_chars: must be between 1 and 100000, got {cfg.max_post_chars}")
    if not 1 <= cfg.processes <= 64:
        raise ConfigError(f"processes: must be between 1 and 64, got {cfg.processes}")
    if cfg.min_free_disk_gb < 0:
        raise ConfigError("min_free_disk_gb: must be 0 or more")
    if cfg.remote_media_days < 1:
        raise ConfigError("remote_media_days: must be at least 1")
    if cfg.api_rate_limit < 1:
        raise ConfigError("api_rate_limit: must be at least 1")
    if cfg.login_attempts_per_15min < 1:
        raise ConfigError("login_attempts_per_15min: must be at least 1")
    if cfg.log_level.upper() not in _LOG_LEVELS:
        raise ConfigError(f"log_level: must be one of {', '.join(_LOG_LEVELS)}, got {cfg.log_level!r}")
    if cfg.log_format not in ("text", "json"):
        raise ConfigError(f"log_format: must be text or json, got {cfg.log_format!r}")
    for network in cfg.metrics_allow:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            raise ConfigError(f"metrics_allow: not an address or network: {network!r}") from None
    if cfg.metrics_token and len(cfg.metrics_token) < 16:
        raise ConfigError("metrics_token: use at least 16 characters")
    if bool(cfg.tls_cert) != bool(cfg.tls_key):
        raise ConfigError("tls_cert and tls_key: give both, or neither")
    for name in ("tls_cert", "tls_key"):
        if getattr(cfg, name) and not Path(getattr(cfg, name)).is_file():
            raise ConfigError(f"{name}: no such file: {getattr(cfg, name)}")
    if cfg.database_url and not cfg.database_url.startswith(("postgres://", "postgresql://")):
        raise ConfigError("database_url: must start with postgresql://")
    _validate_media(cfg)
    if cfg.smtp_security not in ("none", "starttls", "tls"):
        raise ConfigError(f"smtp_security: must be none, starttls or tls, got {cfg.smtp_security!r}")
    if not 1 <= cfg.smtp_port <= 65535:
        raise ConfigError(f"smtp_port: must be between 1 and 65535, got {cfg.smtp_port}")
    if cfg.smtp_from and "@" not in cfg.smtp_from:
        raise ConfigError(f"smtp_from: expected an e-mail address, got {cfg.smtp_from!r}")
    confirm = bool(cfg.smtp_host) if cfg.require_email_confirmation is None else cfg.require_email_confirmation
    return dataclasses.replace(
        cfg, require_email_confirmation=confirm, domain=cfg.domain.lower(), log_level=cfg.log_level.upper(),
        data_dir=cfg.data_dir.resolve(),
        s3_public_url=cfg.s3_public_url.rstrip("/"),
    )


def _is_http_url(value: str, schemes: tuple[str, ...] = ("http", "https")) -> bool:
    parts = urlsplit(value)
    return parts.scheme in schemes and bool(parts.hostname) and not parts.query and not parts.fragment


def _validate_media(cfg: Config) -> None:
    """The s3_* keys are checked only when the bucket is used, and then all needed ones must be set."""
    if cfg.media_storage not in MEDIA_STORAGES:
        raise ConfigError(f"media_storage: must be one of {', '.join(MEDIA_STORAGES)}, got {cfg.media_storage!r}")
    if cfg.media_storage != "s3":
        return
    for name in ("s3_bucket", "s3_access_key", "s3_secret_key", "s3_public_url", "s3_region"):
        if not getattr(cfg, name).strip():
            raise ConfigError(f"{name}: required when media_storage is s3")
    if cfg.s3_endpoint and not _is_http_url(cfg.s3_endpoint):
        raise ConfigError(f"s3_endpoint: expected an http:// or https:// URL, got {cfg.s3_endpoint!r}")
    # Pages and apps load media from there: plain http would be mixed content on an https instance.
    schemes = ("http", "https") if cfg.insecure_federation else ("https",)
    if not _is_http_url(cfg.s3_public_url, schemes):
        raise ConfigError(f"s3_public_url: expected an {' or '.join(s + '://' for s in schemes)} URL,"
                          f" got {cfg.s3_public_url!r}")


def load_config(
    config_file: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Config:
    """Build the settings from file < environment < flags (flags given as field-name overrides)."""
    values: dict[str, Any] = {}
    if config_file:
        path = Path(config_file)
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"config file not found: {path}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {path}: not valid TOML: {exc}") from None
        for key, value in raw.items():
            if key not in _FIELDS:
                raise ConfigError(f"unknown setting {key!r} in {path}")
            values[key] = _coerce(key, value, str(path))
    env = os.environ if env is None else env
    for name, value in env.items():
        if not name.startswith("KITH_"):
            continue
        key = name[5:].lower()
        if key not in _FIELDS:
            raise ConfigError(f"unknown setting {name} in the environment")
        values[key] = _coerce(key, value, name)
    for key, value in (overrides or {}).items():
        if key not in _FIELDS:
            raise ConfigError(f"unknown setting {key!r}")
        if value is not None:
            values[key] = _coerce(key, value, "command line")
    return _validate(Config(**values))


