"""The media storage settings: local by default; a bucket only with everything it needs."""

from pathlib import Path

import pytest

from server.config import ConfigError, load_config

S3_ENV = {
    "KITH_MEDIA_STORAGE": "s3",
    "KITH_S3_ENDPOINT": "https://s3.example.org",
    "KITH_S3_BUCKET": "kith-media",
    "KITH_S3_ACCESS_KEY": "AKIAEXAMPLE",
    "KITH_S3_SECRET_KEY": "very-secret",
    "KITH_S3_PUBLIC_URL": "https://cdn.example.org/media/",
}


def test_local_is_the_default_and_ignores_the_s3_keys():
    cfg = load_config(env={})
    assert cfg.media_storage == "local" and cfg.s3_region == "us-east-1" and cfg.s3_bucket == ""
    assert load_config(env={"KITH_S3_BUCKET": "unused"}).media_storage == "local"


def test_s3_from_the_environment():
    cfg = load_config(env=S3_ENV)
    assert cfg.media_storage == "s3" and cfg.s3_endpoint == "https://s3.example.org"
    assert cfg.s3_bucket == "kith-media" and cfg.s3_access_key == "AKIAEXAMPLE"
    assert cfg.s3_public_url == "https://cdn.example.org/media"  # trailing slash dropped
    assert "very-secret" not in repr(cfg)


def test_s3_from_a_file_and_amazon_without_an_endpoint(tmp_path: Path):
    path = tmp_path / "kith.toml"
    path.write_text('media_storage = "s3"\ns3_region = "eu-west-3"\ns3_bucket = "b-kith"\n'
                    's3_access_key = "a"\ns3_secret_key = "s"\ns3_public_url = "https://b-kith.s3.amazonaws.com"\n')
    cfg = load_config(path, env={})
    assert cfg.s3_endpoint == "" and cfg.s3_region == "eu-west-3"


@pytest.mark.parametrize("key", ["s3_bucket", "s3_access_key", "s3_secret_key", "s3_public_url", "s3_region"])
def test_s3_without_a_needed_key_names_it(key: str):
    env = {**S3_ENV, f"KITH_{key.upper()}": ""}
    with pytest.raises(ConfigError, match=f"^{key}: required when media_storage is s3"):
        load_config(env=env)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"KITH_MEDIA_STORAGE": "ftp"}, "media_storage: must be one of local, s3"),
        ({"KITH_S3_ENDPOINT": "s3.example.org"}, "s3_endpoint: expected an http:// or https:// URL"),
        ({"KITH_S3_ENDPOINT": "ftp://s3.example.org"}, "s3_endpoint"),
        ({"KITH_S3_PUBLIC_URL": "cdn.example.org"}, "s3_public_url: expected an https:// URL"),
        # Pages on an https instance cannot load media over plain http.
        ({"KITH_S3_PUBLIC_URL": "http://cdn.example.org"}, "s3_public_url: expected an https:// URL"),
        ({"KITH_S3_PUBLIC_URL": "https://cdn.example.org/?x=1"}, "s3_public_url"),
    ],
)
def test_bad_s3_values_name_the_key(env: dict[str, str], message: str):
    with pytest.raises(ConfigError, match=f"^{message}"):
        load_config(env={**S3_ENV, **env})


def test_plain_http_media_is_allowed_in_local_testing_mode():
    cfg = load_config(env={**S3_ENV, "KITH_S3_PUBLIC_URL": "http://127.0.0.1:9000/kith-media",
                           "KITH_S3_ENDPOINT": "http://127.0.0.1:9000", "KITH_INSECURE_FEDERATION": "true"})
    assert cfg.s3_public_url == "http://127.0.0.1:9000/kith-media"
