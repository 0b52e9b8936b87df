from pathlib import Path

import pytest

from server.config import ConfigError, load_config


def test_defaults():
    cfg = load_config(env={})
    assert cfg.port == 8080
    assert cfg.registrations == "open"
    assert cfg.max_post_chars == 500
    assert cfg.database_url == ""
    assert cfg.data_dir == Path("kith-data").resolve()
    assert cfg.base_url == "https://127.0.0.1:8080"


def test_file_then_environment_then_flags(tmp_path: Path):
    path = tmp_path / "kith.toml"
    path.write_text('port = 9000\ndomain = "from-file.example"\nmax_post_chars = 1000\n')
    env = {"KITH_PORT": "9100", "KITH_INSTANCE_NAME": "Env name", "HOME": "/ignored"}
    cfg = load_config(path, env=env, overrides={"port": 9200})
    assert cfg.port == 9200  # the flag wins
    assert cfg.instance_name == "Env name"  # the environment beats the default
    assert cfg.domain == "from-file.example"
    assert cfg.max_post_chars == 1000


def test_insecure_federation_uses_http():
    cfg = load_config(env={"KITH_INSECURE_FEDERATION": "true"}, overrides={"domain": "localhost:8081"})
    assert cfg.base_url == "http://localhost:8081"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ({"file": "colour = 'blue'\n"}, "unknown setting 'colour'"),
        ({"env": {"KITH_COLOUR": "blue"}}, "KITH_COLOUR"),
        ({"env": {"KITH_PORT": "eighty"}}, "port (from KITH_PORT)"),
        ({"env": {"KITH_REGISTRATIONS": "sometimes"}}, "registrations"),
        ({"file": "port = 70000\n"}, "port"),
        ({"file": "insecure_federation = 'maybe'\n"}, "insecure_federation"),
        ({"file": "domain = 'not a domain!'\n"}, "domain"),
        ({"file": "port = \n"}, "not valid TOML"),
        ({"env": {"KITH_DATABASE_URL": "mysql://x"}}, "database_url"),
    ],
)
def test_bad_settings_name_the_key(tmp_path: Path, source: dict, message: str):
    path = None
    if "file" in source:
        path = tmp_path / "kith.toml"
        path.write_text(source["file"])
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_config(path, env=source.get("env", {}))


def test_missing_config_file(tmp_path: Path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.toml", env={})
