"""The `kith` command as an admin uses it: embedded database, a second command while the server
runs, and a restart on the same data directory that loses nothing."""

import json
import re
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import urlencode

from tests.conftest import KithProcess, kith_cli


class Browser:
    """A cookie-keeping HTTP client without JavaScript, like the acceptance check."""

    def __init__(self, base_url: str) -> None:
        self.base = base_url
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=10) as resp:
            return resp.read().decode()

    def submit(self, page_path: str, action: str, fields: dict[str, str]) -> str:
        token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', self.get(page_path)).group(1)
        data = urlencode({**fields, "csrf_token": token}).encode()
        with self.opener.open(self.base + action, data=data, timeout=10) as resp:
            return resp.read().decode()


def test_embedded_instance_survives_restart(tmp_path: Path):
    data_dir = tmp_path / "kith-data"
    server = KithProcess(["--data-dir", str(data_dir)]).start()
    try:
        nodeinfo = json.loads(urllib.request.urlopen(f"{server.base_url}/nodeinfo/2.1", timeout=10).read())
        assert nodeinfo["software"]["name"] == "kith"
        assert nodeinfo["protocols"] == ["activitypub"]
        assert nodeinfo["usage"]["users"]["total"] == 0

        made = kith_cli("user", "create", "alice", "--password", "pw-for-alice", "--data-dir", str(data_dir))
        assert made.returncode == 0, made.stderr
        generated = kith_cli("user", "create", "bob", "--role", "admin", "--data-dir", str(data_dir))
        assert generated.returncode == 0, generated.stderr
        bob_password = re.search(r"Password: (\S+)", generated.stdout).group(1)
        duplicate = kith_cli("user", "create", "ALICE", "--password", "pw-for-alice", "--data-dir", str(data_dir))
        assert duplicate.returncode == 1 and "already taken" in duplicate.stderr

        browser = Browser(server.base_url)
        browser.submit("/login", "/login", {"username": "alice", "password": "pw-for-alice"})
        home = browser.submit("/", "/", {"content": "written before the restart", "visibility": "public"})
        assert "written before the restart" in home
        admin = Browser(server.base_url)
        signed_in = admin.submit("/login", "/login", {"username": "bob", "password": bob_password})
        assert "What's on your mind?" in signed_in
    finally:
        server.stop()

    listed = kith_cli("user", "list", "--data-dir", str(data_dir))
    assert listed.returncode == 0
    assert re.search(r"^alice\tmember", listed.stdout, re.M) and re.search(r"^bob\tadmin", listed.stdout, re.M)

    server = KithProcess(["--data-dir", str(data_dir)]).start()
    try:
        visitor = Browser(server.base_url)
        assert "written before the restart" in visitor.get("/@alice")
        assert "written before the restart" in visitor.get("/local")
        nodeinfo = json.loads(urllib.request.urlopen(f"{server.base_url}/nodeinfo/2.0", timeout=10).read())
        assert nodeinfo["usage"]["users"]["total"] == 2
        assert nodeinfo["usage"]["localPosts"] == 1
    finally:
        server.stop()


def test_bad_configuration_fails_at_start_naming_the_key(tmp_path: Path):
    config = tmp_path / "kith.toml"
    config.write_text('registrations = "sometimes"\n')
    result = kith_cli("run", "--config", str(config), "--data-dir", str(tmp_path))
    assert result.returncode == 2
    assert "registrations" in result.stderr
    result = kith_cli("user", "list", "--data-dir", str(tmp_path), env={"KITH_NO_SUCH_THING": "1"})
    assert result.returncode == 2 and "KITH_NO_SUCH_THING" in result.stderr


def test_user_create_rejects_bad_usernames(tmp_path: Path, database_url: str):
    result = kith_cli("user", "create", "no spaces", "--password", "long enough", "--database-url", database_url)
    assert result.returncode == 1
    assert "letters a-z" in result.stderr


async def test_user_password_sets_it_and_signs_the_member_out(pool, database_url: str):
    from server.domain import accounts
    from tests.helpers import make_member

    alice = await make_member(pool, "alice")
    await pool.execute("INSERT INTO web_sessions (token_hash, account_id) VALUES ('\\x01', $1)", alice.id)
    changed = kith_cli("user", "password", "alice", "--password", "chosen by the admin", "--database-url", database_url)
    assert changed.returncode == 0, changed.stderr
    assert await accounts.authenticate(pool, "alice", "chosen by the admin", "127.0.0.1", 5) == alice.id
    assert await pool.fetchval("SELECT count(*) FROM web_sessions") == 0
    generated = kith_cli("user", "password", "alice", "--database-url", database_url)
    assert generated.returncode == 0 and "Password: " in generated.stdout
    missing = kith_cli("user", "password", "nobody", "--database-url", database_url)
    assert missing.returncode == 1 and "no member called 'nobody'" in missing.stderr


async def test_user_disable_2fa_for_the_admin_who_lost_their_phone(pool, database_url: str):
    import pyotp

    from server.domain import two_factor
    from server.store import domains as domains_store
    from tests.helpers import make_member

    root = await make_member(pool, "root")
    await two_factor.enable(pool, root.id, pyotp.TOTP(await two_factor.start_setup(pool, root.id)).now())
    assert await two_factor.enabled(pool, root.id)
    off = kith_cli("user", "disable-2fa", "root", "--database-url", database_url)
    assert off.returncode == 0, off.stderr
    assert not await two_factor.enabled(pool, root.id)
    entry = (await domains_store.recent_log(pool))[0]
    assert (entry["action"], entry["target"], entry["staff"]) == ("account: disable two-factor", "@root", None)
    again = kith_cli("user", "disable-2fa", "root", "--database-url", database_url)
    assert again.returncode == 1 and "not on for @root" in again.stderr
    missing = kith_cli("user", "disable-2fa", "nobody", "--database-url", database_url)
    assert missing.returncode == 1 and "no member called 'nobody'" in missing.stderr


async def test_user_delete_needs_yes(pool, database_url: str):
    from tests.helpers import make_member

    leaver = await make_member(pool, "leaver")
    unconfirmed = kith_cli("user", "delete", "leaver", "--database-url", database_url)
    assert unconfirmed.returncode == 1 and "--yes" in unconfirmed.stderr
    assert await pool.fetchval("SELECT count(*) FROM users WHERE account_id = $1", leaver.id) == 1
    deleted = kith_cli("user", "delete", "leaver", "--yes", "--database-url", database_url)
    assert deleted.returncode == 0, deleted.stderr
    assert await pool.fetchval("SELECT deleted_at IS NOT NULL FROM accounts WHERE id = $1", leaver.id)
    again = kith_cli("user", "delete", "leaver", "--yes", "--database-url", database_url)
    assert again.returncode == 1 and "already deleted" in again.stderr


async def test_emoji_add(pool, database_url: str, tmp_path: Path):
    import io

    from PIL import Image

    picture = io.BytesIO()
    Image.new("RGBA", (24, 24), (0, 120, 200, 255)).save(picture, "PNG")
    (tmp_path / "wave.png").write_bytes(picture.getvalue())
    (tmp_path / "notes.txt").write_text("not an image")
    added = kith_cli("emoji", "add", "wave", str(tmp_path / "wave.png"), "--database-url", database_url,
                     "--data-dir", str(tmp_path / "data"))
    assert added.returncode == 0 and ":wave: is added" in added.stdout, added.stderr
    refused = kith_cli("emoji", "add", "notes", str(tmp_path / "notes.txt"), "--database-url", database_url,
                       "--data-dir", str(tmp_path / "data"))
    assert refused.returncode == 1 and "not a usable image" in refused.stderr
    assert await pool.fetchval("SELECT shortcode FROM custom_emojis") == "wave"
