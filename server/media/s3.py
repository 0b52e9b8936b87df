"""Media in an S3-compatible bucket (Amazon S3, MinIO, Garage, Ceph, R2…), through aiobotocore.

aiobotocore is botocore (AWS's own request signing and S3 protocol) on aiohttp, which Kith already
uses, so no request is signed by hand. The bucket is the operator's own and named in the config,
so requests to it do not go through the egress gate that guards fetches of remote content.

Objects are written with the headers our own /media/ route would send: the type decided when the
upload was checked, inline display, and cached for good (a key never gets new content). They are
read by the public at `public_url` (the bucket's public address or a CDN in front of it), never
through us; making them readable there is the bucket's policy, not a per-object ACL, since new
Amazon buckets refuse ACLs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiobotocore.config import AioConfig
from aiobotocore.session import get_session

from server.media.keys import check_key

HEADERS = {"CacheControl": "public, max-age=31536000, immutable", "ContentDisposition": "inline"}


class S3Storage:
    """One bucket; a client is opened per operation (uploads are rare), so nothing needs closing."""

    def __init__(self, *, endpoint: str, region: str, bucket: str, access_key: str, secret_key: str,
                 public_url: str) -> None:
        self.bucket = bucket
        self.public_url = public_url.rstrip("/")
        self._session = get_session()
        self._client_args: dict[str, Any] = {
            "region_name": region,
            "endpoint_url": endpoint or None,  # None: Amazon S3 itself
            "aws_access_key_id": access_key,
            "aws_secret_access_key": secret_key,
            "config": AioConfig(
                # Self-hosted servers (MinIO, Garage…) rarely have a DNS name per bucket.
                s3={"addressing_style": "path" if endpoint else "auto"},
                # botocore's newer default checksums are refused by several S3-compatible servers.
                request_checksum_calculation="when_required", response_checksum_validation="when_required",
                connect_timeout=10, read_timeout=60, retries={"mode": "standard", "max_attempts": 3},
            ),
        }

    def client(self) -> Any:
        """An async context manager giving an S3 client for this bucket's server (tests use it too)."""
        return self._session.create_client("s3", **self._client_args)

    def url(self, key: str) -> str:
        return f"{self.public_url}/{check_key(key)}"

    def path(self, key: str) -> Path:
        raise LookupError("media in a bucket has no local file; use url()")

    async def save(self, key: str, data: bytes, content_type: str) -> None:
        async with self.client() as s3:
            await s3.put_object(Bucket=self.bucket, Key=check_key(key), Body=data, ContentType=content_type,
                                **HEADERS)

    async def read(self, key: str) -> bytes:
        async with self.client() as s3:
            found = await s3.get_object(Bucket=self.bucket, Key=check_key(key))
            async with found["Body"] as body:
                return await body.read()

    async def delete(self, key: str) -> None:
        async with self.client() as s3:
            await s3.delete_object(Bucket=self.bucket, Key=check_key(key))

    async def size(self, key: str) -> int:
        async with self.client() as s3:
            try:
                found = await s3.head_object(Bucket=self.bucket, Key=check_key(key))
            except s3.exceptions.ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                    return 0
                raise
            return int(found["ContentLength"])
