"""The instance's own settings: the config file gives first-boot defaults, admins change them in
/admin/settings, and the database copy wins. Read through a short cache (every process sees a
change within a few seconds; the process that made it, at once)."""

from __future__ import annotations

import dataclasses
import re
import time
from dataclasses import dataclass

import asyncpg

from server.config import REGISTRATION_MODES, Config
from server.domain import moderation
from server.errors import Invalid
from server.store import domains as domains_store
from server.store import settings as settings_store

TTL = 5.0
MAX_POLICY = 50_000


@dataclass(frozen=True)
class InstanceSettings:
    instance_name: str
    instance_description: str
    contact_email: str
    registrations: str
    invites_by: str
    max_post_chars: int
    federation_mode: str
    languages: str
    public_log: str
    privacy_policy: str = ""  # plain text, paragraphs separated by blank lines
    terms_of_service: str = ""

    @property
    def language_list(self) -> list[str]:
        return [code.strip() for code in self.languages.split(",") if code.strip()]

    @property
    def open_registrations(self) -> bool:
        return self.registrations in ("open", "approval")


EDITABLE = tuple(f.name for f in dataclasses.fields(InstanceSettings))


def defaults(cfg: Config) -> InstanceSettings:
    return InstanceSettings(**{name: getattr(cfg, name) for name in EDITABLE})


class Settings:
    """One process's view of the settings: the database's values over the config's defaults."""

    def __init__(self, pool: asyncpg.Pool, cfg: Config) -> None:
        self.pool, self.cfg = pool, cfg
        self._value: InstanceSettings | None = None
        self._loaded = 0.0

    async def current(self) -> InstanceSettings:
        if self._value is None or time.monotonic() - self._loaded > TTL:
            stored = await settings_store.get_many(self.pool, [f"instance.{n}" for n in EDITABLE])
            self._value = dataclasses.replace(defaults(self.cfg), **{n: stored[f"instance.{n}"] for n in EDITABLE
                                                                    if f"instance.{n}" in stored})
            self._loaded = time.monotonic()
        return self._value

    async def save(self, values: InstanceSettings, actor_id: int) -> None:
        """Validate, store what changed and log it; this process sees the change at once."""
        values = validate(values)
        before = await self.current()
        async with self.pool.acquire() as conn, conn.transaction():
            changed = {n: getattr(values, n) for n in EDITABLE if getattr(values, n) != getattr(before, n)}
            await settings_store.set_many(conn, {f"instance.{n}": v for n, v in changed.items()})
            if changed:
                await domains_store.log(conn, actor_id, "settings: changed", ", ".join(sorted(changed)))
        self._value = None
        moderation.policies_changed()  # the federation mode is one of them


def validate(values: InstanceSettings) -> InstanceSettings:
    name = values.instance_name.strip()
    if not 1 <= len(name) <= 100:
        raise Invalid("The instance name must be 1 to 100 characters.", field="instance_name")
    if len(values.instance_description) > 2000:
        raise Invalid("The description can have at most 2000 characters.", field="instance_description")
    if values.contact_email and ("@" not in values.contact_email or len(values.contact_email) > 254):
        raise Invalid("The contact email does not look like an email address.", field="contact_email")
    if values.registrations not in REGISTRATION_MODES:
        raise Invalid("Registrations must be open, approval, invite or closed.", field="registrations")
    if values.invites_by not in ("staff", "members"):
        raise Invalid("Invites can be made by staff or by members.", field="invites_by")
    if not all(re.fullmatch(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})?", c) for c in values.language_list) \
            or not values.language_list or len(values.languages) > 200:
        raise Invalid("Languages are ISO 639 codes separated by commas, such as en, pt-BR.", field="languages")
    if values.public_log not in ("off", "anonymous", "full"):
        raise Invalid("The public log is off, anonymous or full.", field="public_log")
    if values.federation_mode not in ("blocklist", "allowlist"):
        raise Invalid("Federation is by blocklist or by allowlist.", field="federation_mode")
    for policy in ("privacy_policy", "terms_of_service"):
        if len(getattr(values, policy)) > MAX_POLICY:
            raise Invalid(f"A policy can have at most {MAX_POLICY:,} characters.", field=policy)
    if not 1 <= values.max_post_chars <= 100_000:
        raise Invalid("The post length limit must be between 1 and 100000.", field="max_post_chars")
    return dataclasses.replace(values, instance_name=name, instance_description=values.instance_description.strip())
