"""HTTP signatures: published test vectors, signatures made here with raw `cryptography` calls
(never with the module's own signer, so the checks are not circular), and hostile input."""

from __future__ import annotations

import base64
import hashlib
import random
import re
from urllib.parse import urlsplit

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from multidict import CIMultiDict

from federation.httpsig import (
    SignatureError,
    SignedRequest,
    VerifiedSignature,
    common,
    content_digest_header,
    digest_header,
    key_id_of,
    rfc9421,
    sign_cavage,
    sign_rfc9421,
    verify,
)
from federation.keys import generate_rsa_keypair

# --- keys -------------------------------------------------------------------------------------

# draft-cavage-http-signatures-12 Appendix C: the 1024-bit key "Test".
CAVAGE_TEST_PUBLIC = """-----BEGIN PUBLIC KEY-----
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDCFENGw33yGihy92pDjZQhl0C3
6rPJj+CvfSC8+q28hxA161QFNUd13wuCTUcq0Qd2qsBe/2hFyc2DCJJg0h1L78+6
Z4UMR7EOcpfdUE9Hf3m/hs+FUR45uBJeDK1HSFHD8bHKD6kv8FPGfJTotc+2xjJw
oYi+1hqp1fIekaxsyQIDAQAB
-----END PUBLIC KEY-----
"""

# RFC 9421 B.1.1 test-key-rsa, both halves in PKCS#1 form ("RSA PUBLIC KEY" is what some
# servers publish as publicKeyPem).
RSA_PUBLIC_PKCS1 = """-----BEGIN RSA PUBLIC KEY-----
MIIBCgKCAQEAhAKYdtoeoy8zcAcR874L8cnZxKzAGwd7v36APp7Pv6Q2jdsPBRrw
WEBnez6d0UDKDwGbc6nxfEXAy5mbhgajzrw3MOEt8uA5txSKobBpKDeBLOsdJKFq
MGmXCQvEG7YemcxDTRPxAleIAgYYRjTSd/QBwVW9OwNFhekro3RtlinV0a75jfZg
kne/YiktSvLG34lw2zqXBDTC5NHROUqGTlML4PlNZS5Ri2U4aCNx2rUPRcKIlE0P
uKxI4T+HIaFpv8+rdV6eUgOrB2xeI1dSFFn/nnv5OoZJEIB+VmuKn3DCUcCZSFlQ
PSXSfBDiUGhwOw76WuSSsf1D4b/vLoJ10wIDAQAB
-----END RSA PUBLIC KEY-----
"""

RSA_PRIVATE_PKCS1 = """-----BEGIN RSA PRIVATE KEY-----
MIIEqAIBAAKCAQEAhAKYdtoeoy8zcAcR874L8cnZxKzAGwd7v36APp7Pv6Q2jdsP
BRrwWEBnez6d0UDKDwGbc6nxfEXAy5mbhgajzrw3MOEt8uA5txSKobBpKDeBLOsd
JKFqMGmXCQvEG7YemcxDTRPxAleIAgYYRjTSd/QBwVW9OwNFhekro3RtlinV0a75
jfZgkne/YiktSvLG34lw2zqXBDTC5NHROUqGTlML4PlNZS5Ri2U4aCNx2rUPRcKI
lE0PuKxI4T+HIaFpv8+rdV6eUgOrB2xeI1dSFFn/nnv5OoZJEIB+VmuKn3DCUcCZ
SFlQPSXSfBDiUGhwOw76WuSSsf1D4b/vLoJ10wIDAQABAoIBAG/JZuSWdoVHbi56
vjgCgkjg3lkO1KrO3nrdm6nrgA9P9qaPjxuKoWaKO1cBQlE1pSWp/cKncYgD5WxE
CpAnRUXG2pG4zdkzCYzAh1i+c34L6oZoHsirK6oNcEnHveydfzJL5934egm6p8DW
+m1RQ70yUt4uRc0YSor+q1LGJvGQHReF0WmJBZHrhz5e63Pq7lE0gIwuBqL8SMaA
yRXtK+JGxZpImTq+NHvEWWCu09SCq0r838ceQI55SvzmTkwqtC+8AT2zFviMZkKR
Qo6SPsrqItxZWRty2izawTF0Bf5S2VAx7O+6t3wBsQ1sLptoSgX3QblELY5asI0J
YFz7LJECgYkAsqeUJmqXE3LP8tYoIjMIAKiTm9o6psPlc8CrLI9CH0UbuaA2JCOM
cCNq8SyYbTqgnWlB9ZfcAm/cFpA8tYci9m5vYK8HNxQr+8FS3Qo8N9RJ8d0U5Csw
DzMYfRghAfUGwmlWj5hp1pQzAuhwbOXFtxKHVsMPhz1IBtF9Y8jvgqgYHLbmyiu1
mwJ5AL0pYF0G7x81prlARURwHo0Yf52kEw1dxpx+JXER7hQRWQki5/NsUEtv+8RT
qn2m6qte5DXLyn83b1qRscSdnCCwKtKWUug5q2ZbwVOCJCtmRwmnP131lWRYfj67
B/xJ1ZA6X3GEf4sNReNAtaucPEelgR2nsN0gKQKBiGoqHWbK1qYvBxX2X3kbPDkv
9C+celgZd2PW7aGYLCHq7nPbmfDV0yHcWjOhXZ8jRMjmANVR/eLQ2EfsRLdW69bn
f3ZD7JS1fwGnO3exGmHO3HZG+6AvberKYVYNHahNFEw5TsAcQWDLRpkGybBcxqZo
81YCqlqidwfeO5YtlO7etx1xLyqa2NsCeG9A86UjG+aeNnXEIDk1PDK+EuiThIUa
/2IxKzJKWl1BKr2d4xAfR0ZnEYuRrbeDQYgTImOlfW6/GuYIxKYgEKCFHFqJATAG
IxHrq1PDOiSwXd2GmVVYyEmhZnbcp8CxaEMQoevxAta0ssMK3w6UsDtvUvYvF22m
qQKBiD5GwESzsFPy3Ga0MvZpn3D6EJQLgsnrtUPZx+z2Ep2x0xc5orneB5fGyF1P
WtP+fG5Q6Dpdz3LRfm+KwBCWFKQjg7uTxcjerhBWEYPmEMKYwTJF5PBG9/ddvHLQ
EQeNC8fHGg4UXU8mhHnSBt3EA10qQJfRDs15M38eG2cYwB1PZpDHScDnDA0=
-----END RSA PRIVATE KEY-----
"""

# RFC 9421 B.1.2 test-key-rsa-pss (public half).
RSA_PSS_PUBLIC = """-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAr4tmm3r20Wd/PbqvP1s2
+QEtvpuRaV8Yq40gjUR8y2Rjxa6dpG2GXHbPfvMs8ct+Lh1GH45x28Rw3Ry53mm+
oAXjyQ86OnDkZ5N8lYbggD4O3w6M6pAvLkhk95AndTrifbIFPNU8PPMO7OyrFAHq
gDsznjPFmTOtCEcN2Z1FpWgchwuYLPL+Wokqltd11nqqzi+bJ9cvSKADYdUAAN5W
Utzdpiy6LbTgSxP7ociU4Tn0g5I6aDZJ7A8Lzo0KSyZYoA485mqcO0GVAdVw9lq4
aOT9v6d+nb4bnNkQVklLQ3fVAvJm+xdDOp9LCNCN48V2pnDOkFV6+U9nV5oyc6XI
2wIDAQAB
-----END PUBLIC KEY-----
"""

# RFC 9421 B.1.4 test-key-ed25519.
ED25519_PUBLIC = """-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=
-----END PUBLIC KEY-----
"""

ED25519_PRIVATE = """-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF
-----END PRIVATE KEY-----
"""


def _raw_rsa_sign(message: bytes, pem: str = RSA_PRIVATE_PKCS1) -> str:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return base64.b64encode(key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()


def _raw_rsa_pss_sign(message: bytes) -> str:
    key = serialization.load_pem_private_key(RSA_PRIVATE_PKCS1.encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA512()), salt_length=64)
    return base64.b64encode(key.sign(message, pss, hashes.SHA512())).decode()


def _raw_ed25519_sign(message: bytes) -> str:
    key = serialization.load_pem_private_key(ED25519_PRIVATE.encode(), password=None)
    assert isinstance(key, ed25519.Ed25519PrivateKey)
    return base64.b64encode(key.sign(message)).decode()


def _b64_sha256(body: bytes) -> str:
    return base64.b64encode(hashlib.sha256(body).digest()).decode()


# --- draft-cavage-http-signatures-12 Appendix C ----------------------------------------------

SPEC_DATE = "Sun, 05 Jan 2014 21:31:40 GMT"
SPEC_NOW = 1388957500.0
SPEC_BODY = b'{"hello": "world"}'
SPEC_HEADERS = {
    "Host": "example.com",
    "Date": SPEC_DATE,
    "Content-Type": "application/json",
    "Digest": "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=",
    "Content-Length": "18",
}


def _spec_request(signature: str) -> SignedRequest:
    headers = {**SPEC_HEADERS, "Signature": signature}
    return SignedRequest("POST", "http://example.com/foo?param=value&pet=dog", headers, SPEC_BODY)


def test_cavage_appendix_c3_all_headers_vector_verifies() -> None:
    request = _spec_request(
        'keyId="Test",algorithm="rsa-sha256",'
        'headers="(request-target) host date content-type digest content-length",'
        'signature="vSdrb+dS3EceC9bcwHSo4MlyKS59iFIrhgYkz8+oVLEEzmYZZvRs8rgOp+63LEM3v+MFHB32NfpB2bEK'
        "BIvB1q52LaEUHFv120V01IL+TAD48XaERZFukWgHoBTLMhYS2Gb51gWxpeIq8knRmPnYePbF5MOkR0Zkly4zKH7s1dE=\""
    )
    assert key_id_of(request) == "Test"
    assert verify(request, CAVAGE_TEST_PUBLIC, now=SPEC_NOW) == VerifiedSignature(
        key_id="Test",
        scheme="cavage",
        algorithm="rsa-v1_5-sha256",
        covered=("(request-target)", "host", "date", "content-type", "digest", "content-length"),
    )


def test_cavage_appendix_c2_basic_vector_is_refused_for_a_post_without_digest() -> None:
    request = _spec_request(
        'keyId="Test",algorithm="rsa-sha256",headers="(request-target) host date",'
        'signature="qdx+H7PHHDZgy4y/Ahn9Tny9V3GP6YgBPyUXMmoxWtLbHpUnXS2mg2+SbrQDMCJypxBLSPQR2aAjn7ndmw2ii'
        "cw3HMbe8VfEdKFYRqzic+efkb3nndiv/x1xSHDJWeSWkx3ButlYSuBskLu6kd9Fswtemr3lgdDEmn04swr2Os0=\""
    )
    with pytest.raises(SignatureError, match="body must sign its Digest"):
        verify(request, CAVAGE_TEST_PUBLIC, now=SPEC_NOW)


def test_cavage_appendix_c1_default_headers_do_not_cover_host() -> None:
    request = _spec_request(
        'keyId="Test",algorithm="rsa-sha256",'
        'signature="SjWJWbWN7i0wzBvtPl8rbASWz5xQW6mcJmn+ibttBqtifLN7Sazz6m79cNfwwb8DMJ5cou1s7uEGKKCs+FLEEa'
        'DV5lp7q25WqS+lavg7T8hc0GppauB6hbgEKTwblDHYGEtbGmtdHgVCk9SuS13F0hZ8FD0k/5OxEPXe5WozsbM="'
    )
    with pytest.raises(SignatureError, match="must cover the Host header"):
        verify(request, CAVAGE_TEST_PUBLIC, now=SPEC_NOW)


# --- cavage signatures made with raw cryptography --------------------------------------------

NOW = 1_700_000_000.0
DATE = "Tue, 14 Nov 2023 22:13:20 GMT"
INBOX = "https://kith.example/users/alice/inbox"
KEY_ID = "https://remote.example/users/bob#main-key"
BODY = b'{"type": "Follow", "actor": "https://remote.example/users/bob"}'
POST_NAMES = ["(request-target)", "host", "date", "digest", "content-type"]


def _post_headers(body: bytes = BODY) -> dict[str, str]:
    return {
        "Host": "kith.example",
        "Date": DATE,
        "Digest": "SHA-256=" + _b64_sha256(body),
        "Content-Type": "application/activity+json",
    }


def _cavage_signed(
    headers: dict[str, str],
    names: list[str],
    target: str,
    *,
    algorithm: str | None = "rsa-sha256",
    sign=_raw_rsa_sign,
    extra: str = "",
    pseudo: dict[str, str] | None = None,
) -> dict[str, str]:
    """headers plus a Signature over ``names``, its signing string written out by hand."""
    values = {name.lower(): value for name, value in headers.items()}
    values |= {"(request-target)": target, **(pseudo or {})}
    signing_string = "\n".join(f"{name}: {values.get(name, '')}" for name in names)
    alg = f'algorithm="{algorithm}",' if algorithm else ""
    signature = sign(signing_string.encode())
    return {
        **headers,
        "Signature": f'keyId="{KEY_ID}",{alg}headers="{" ".join(names)}",{extra}signature="{signature}"',
    }


def _mastodon_post(body: bytes = BODY, **kwargs) -> SignedRequest:
    headers = _cavage_signed(_post_headers(body), POST_NAMES, "post /users/alice/inbox", **kwargs)
    return SignedRequest("POST", INBOX, headers, body)


def test_cavage_post_signed_like_mastodon_verifies() -> None:
    result = verify(_mastodon_post(), RSA_PUBLIC_PKCS1, now=NOW)
    assert result == VerifiedSignature(KEY_ID, "cavage", "rsa-v1_5-sha256", tuple(POST_NAMES))


def test_cavage_hs2019_with_an_rsa_key_means_pkcs1_sha256() -> None:
    result = verify(_mastodon_post(algorithm="hs2019"), RSA_PUBLIC_PKCS1, now=NOW)
    assert result.algorithm == "rsa-v1_5-sha256"


def test_cavage_hs2019_with_an_ed25519_key_is_ed25519() -> None:
    request = _mastodon_post(algorithm="hs2019", sign=_raw_ed25519_sign)
    assert verify(request, ED25519_PUBLIC, now=NOW).algorithm == "ed25519"


def test_cavage_without_algorithm_defaults_to_hs2019() -> None:
    assert verify(_mastodon_post(algorithm=None), RSA_PUBLIC_PKCS1, now=NOW).key_id == KEY_ID


def test_cavage_rsa_sha256_with_an_ed25519_key_is_refused() -> None:
    request = _mastodon_post(sign=_raw_ed25519_sign)
    with pytest.raises(SignatureError, match="does not fit the signer's Ed25519 key"):
        verify(request, ED25519_PUBLIC, now=NOW)


def test_cavage_created_and_expires_pseudo_headers() -> None:
    names = ["(request-target)", "host", "(created)", "(expires)", "digest"]
    pseudo = {"(created)": str(int(NOW) - 10), "(expires)": str(int(NOW) + 300)}
    headers = _cavage_signed(
        _post_headers(),
        names,
        "post /users/alice/inbox",
        algorithm="hs2019",
        extra=f'created={pseudo["(created)"]},expires="{pseudo["(expires)"]}",',
        pseudo=pseudo,
    )
    headers.pop("Date")
    result = verify(SignedRequest("POST", INBOX, headers, BODY), RSA_PUBLIC_PKCS1, now=NOW)
    assert result.covered == tuple(names)
    with pytest.raises(SignatureError, match="expired"):
        verify(SignedRequest("POST", INBOX, headers, BODY), RSA_PUBLIC_PKCS1, now=NOW + 301)


def test_cavage_parameters_in_any_order_with_whitespace() -> None:
    request = _mastodon_post()
    params = dict(re.findall(r'(\w+)="([^"]*)"', request.headers["signature"]))
    shuffled = (
        f' signature = "{params["signature"]}" ,\theaders="{params["headers"]}",'
        f'  KEYID="{KEY_ID}" , algorithm=rsa-sha256 '
    )
    headers = {**request.headers, "signature": shuffled}
    assert verify(SignedRequest("POST", INBOX, headers, BODY), RSA_PUBLIC_PKCS1, now=NOW).key_id == KEY_ID


def test_cavage_old_node_http_signature_prefix_is_tolerated() -> None:
    request = _mastodon_post()
    headers = {**request.headers, "signature": "Signature " + request.headers["signature"]}
    assert verify(SignedRequest("POST", INBOX, headers, BODY), RSA_PUBLIC_PKCS1, now=NOW)


def test_cavage_signed_get_with_query_verifies() -> None:
    url = "https://kith.example/users/alice/outbox?page=true&min_id=5"
    names = ["(request-target)", "host", "date", "accept"]
    headers = {"Host": "kith.example", "Date": DATE, "Accept": "application/activity+json"}
    signed = _cavage_signed(headers, names, "get /users/alice/outbox?page=true&min_id=5")
    assert verify(SignedRequest("GET", url, signed), RSA_PUBLIC_PKCS1, now=NOW).covered == tuple(names)


def test_cavage_request_target_without_query_is_accepted_like_mastodon() -> None:
    url = "https://kith.example/users/alice/outbox?page=true"
    headers = {"Host": "kith.example", "Date": DATE}
    signed = _cavage_signed(headers, ["(request-target)", "host", "date"], "get /users/alice/outbox")
    assert verify(SignedRequest("GET", url, signed), RSA_PUBLIC_PKCS1, now=NOW)


def test_cavage_digest_may_offer_sha512_too() -> None:
    headers = _post_headers()
    sha512 = base64.b64encode(hashlib.sha512(BODY).digest()).decode()
    headers["Digest"] = f"sha-512={sha512}, SHA-256={_b64_sha256(BODY)}"
    signed = _cavage_signed(headers, POST_NAMES, "post /users/alice/inbox")
    assert verify(SignedRequest("POST", INBOX, signed, BODY), RSA_PUBLIC_PKCS1, now=NOW)


@pytest.mark.parametrize(
    ("digest", "message"),
    [
        ("SHA-256=" + _b64_sha256(b"something else"), "sha-256 does not match the body"),
        ("MD5=abc", "offers no SHA-256 or SHA-512"),
        ("SHA-256", "Digest header is malformed"),
        ("SHA-256=abc, sha-256=abc", "Digest header is malformed"),
        ("SHA-256=not*base64", "not valid base64"),
    ],
)
def test_cavage_bad_digest_is_refused(digest: str, message: str) -> None:
    headers = {**_post_headers(), "Digest": digest}
    signed = _cavage_signed(headers, POST_NAMES, "post /users/alice/inbox")
    with pytest.raises(SignatureError, match=message):
        verify(SignedRequest("POST", INBOX, signed, BODY), RSA_PUBLIC_PKCS1, now=NOW)


def test_cavage_tampered_body_is_refused() -> None:
    request = _mastodon_post()
    forged = SignedRequest("POST", INBOX, request.headers, BODY.replace(b"Follow", b"Block"))
    with pytest.raises(SignatureError, match="does not match the body"):
        verify(forged, RSA_PUBLIC_PKCS1, now=NOW)


def test_cavage_tampered_header_is_refused() -> None:
    request = _mastodon_post()
    headers = {**request.headers, "content-type": "text/plain"}
    with pytest.raises(SignatureError, match="does not match the request and the key"):
        verify(SignedRequest("POST", INBOX, headers, BODY), RSA_PUBLIC_PKCS1, now=NOW)


def test_cavage_other_target_is_refused() -> None:
    request = _mastodon_post()
    moved = SignedRequest("POST", "https://kith.example/inbox", request.headers, BODY)
    with pytest.raises(SignatureError, match="does not match"):
        verify(moved, RSA_PUBLIC_PKCS1, now=NOW)


def test_cavage_wrong_key_is_refused() -> None:
    _, other_public = generate_rsa_keypair()
    with pytest.raises(SignatureError, match="does not match the request and the key"):
        verify(_mastodon_post(), other_public, now=NOW)


@pytest.mark.parametrize(
    ("now", "message"),
    [
        (NOW + 3600, None),
        (NOW - 3600, None),
        (NOW + 3601, "Date is more than 3600 s old"),
        (NOW - 3601, "Date is more than 3600 s in the future"),
    ],
)
def test_cavage_date_must_be_within_an_hour(now: float, message: str | None) -> None:
    if message is None:
        assert verify(_mastodon_post(), RSA_PUBLIC_PKCS1, now=now)
    else:
        with pytest.raises(SignatureError, match=message):
            verify(_mastodon_post(), RSA_PUBLIC_PKCS1, now=now)


def test_cavage_unparseable_date_is_refused() -> None:
    headers = {**_post_headers(), "Date": "yesterday-ish"}
    signed = _cavage_signed(headers, POST_NAMES, "post /users/alice/inbox")
    with pytest.raises(SignatureError, match="not an HTTP date"):
        verify(SignedRequest("POST", INBOX, signed, BODY), RSA_PUBLIC_PKCS1, now=NOW)


@pytest.mark.parametrize(
    ("method", "names", "message"),
    [
        ("POST", ["(request-target)", "date", "digest"], "must cover the Host header"),
        ("POST", ["(request-target)", "host", "digest"], "must cover the Date header or \\(created\\)"),
        ("POST", ["(request-target)", "host", "date"], "body must sign its Digest"),
        ("GET", ["host", "date"], "must cover \\(request-target\\)"),
        ("GET", ["(request-target)", "host", "date", "x-absent"], "which the request lacks"),
        ("GET", ["(request-target)", "host", "date", "(nonsense)"], "\\(nonsense\\), which has no value"),
    ],
)
def test_cavage_insufficient_coverage_is_refused(method: str, names: list[str], message: str) -> None:
    headers = {"Host": "kith.example", "Date": DATE, "Digest": "SHA-256=" + _b64_sha256(BODY)}
    signed = _cavage_signed({**headers, "X-Absent": "x"}, names, f"{method.lower()} /users/alice/inbox")
    del signed["X-Absent"]
    body = BODY if method == "POST" else b""
    with pytest.raises(SignatureError, match=message):
        verify(SignedRequest(method, INBOX, signed, body), RSA_PUBLIC_PKCS1, now=NOW)


def test_cavage_header_with_line_break_is_refused() -> None:
    headers = {"Host": "kith.example", "Date": DATE, "X-Note": "a\nhost: evil.example"}
    signed = _cavage_signed(headers, ["(request-target)", "host", "date", "x-note"], "get /")
    with pytest.raises(SignatureError, match="line break"):
        verify(SignedRequest("GET", "https://kith.example/", signed), RSA_PUBLIC_PKCS1, now=NOW)


TOO_MANY = " ".join(f"x-h{i}" for i in range(31))


@pytest.mark.parametrize(
    ("signature", "message"),
    [
        ("", "empty"),
        ('keyId="a",keyId="b",signature="AAAA"', "repeats the keyId parameter"),
        ('keyId="a",KEYID="b",signature="AAAA"', "repeats the KEYID parameter"),
        ('keyId="a",signature="AAAA",', "ends with a comma"),
        ('keyId="a" signature="AAAA"', "malformed"),
        ('keyId="a,signature="AAAA', "malformed"),
        ('=x,keyId="a"', "malformed"),
        (',keyId="a",signature="AAAA"', "malformed"),
        ('keyId="a";signature="AAAA"', "malformed"),
        ('signature="AAAA"', "no keyId"),
        ('keyId="",signature="AAAA"', "no keyId"),
        ('keyId="a"', "no signature"),
        ('keyId="a",signature="not base64!"', "signature is not valid base64"),
        ('keyId="a",signature="QUJD\nREVG"', "malformed|base64"),
        ('keyId="a",algorithm="hmac-sha256",signature="AAAA"', "unsupported signature algorithm 'hmac-sha256'"),
        ('keyId="a",algorithm="rsa-sha512",signature="AAAA"', "unsupported signature algorithm"),
        ('keyId="a",algorithm="ecdsa-sha256",signature="AAAA"', "unsupported signature algorithm"),
        ('keyId="a",headers="  ",signature="AAAA"', "headers parameter is empty"),
        (f'keyId="a",headers="{TOO_MANY}",signature="AAAA"', "more than 30 headers"),
        ('keyId="a",algorithm="hs2019",created="soon",signature="AAAA"', "created is not a Unix time"),
        ('keyId="a",expires=-5,signature="AAAA"', "expires is not a Unix time"),
        (
            'keyId="a",algorithm="rsa-sha256",headers="(created) host",created=1,signature="AAAA"',
            "only be signed with algorithm hs2019",
        ),
        ('keyId="' + "a" * 9000 + '",signature="AAAA"', "longer than 8192 characters"),
    ],
)
def test_cavage_hostile_signature_header_is_refused(signature: str, message: str) -> None:
    request = SignedRequest("POST", INBOX, {**_post_headers(), "Signature": signature}, BODY)
    with pytest.raises(SignatureError, match=message):
        key_id_of(request)
    with pytest.raises(SignatureError, match=message):
        verify(request, RSA_PUBLIC_PKCS1, now=NOW)


def test_unsigned_request_is_refused() -> None:
    request = SignedRequest("POST", INBOX, _post_headers(), BODY)
    with pytest.raises(SignatureError, match="not signed"):
        key_id_of(request)
    with pytest.raises(SignatureError, match="not signed"):
        verify(request, RSA_PUBLIC_PKCS1, now=NOW)


# --- RFC 9421 Appendix B ---------------------------------------------------------------------

B2_URL = "https://example.com/foo?param=Value&Pet=dog"
B2_CREATED = 1618884473
B2_HEADERS = {
    "Host": "example.com",
    "Date": "Tue, 20 Apr 2021 02:07:55 GMT",
    "Content-Type": "application/json",
    "Content-Digest": "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyeal"
    "dVLvRwEmTHWXvJwew==:",
    "Content-Length": "18",
}
B2_BODY = b'{"hello": "world"}'

# (label, Signature-Input member, signature, key, algorithm, signature base), from RFC 9421 B.2.
B2_VECTORS = [
    (
        "sig-b21",
        '();created=1618884473;keyid="test-key-rsa-pss";nonce="b3k2pp5k7z-50gnwp.yemd"',
        "d2pmTvmbncD3xQm8E9ZV2828BjQWGgiwAaw5bAkgibUopemLJcWDy/lkbbHAve4cRAtx31Iq786U7it++wgGxbtRxf8Udx7zFZ"
        "sckzXaJMkA7ChG52eSkFxykJeNqsrWH5S+oxNFlD4dzVuwe8DhTSja8xxbR/Z2cOGdCbzR72rgFWhzx2VjBqJzsPLMIQKhO4DGe"
        "zXehhWwE56YCE+O6c0mKZsfxVrogUvA4HELjVKWmAvtl6UnCh8jYzuVG5WSb/QEVPnP5TmcAnLH1g+s++v6d4s8m0gCw1fV5/SI"
        "TLq9mhho8K3+7EPYTU8IU1bLhdxO5Nyt8C8ssinQ98Xw9Q==",
        RSA_PSS_PUBLIC,
        "rsa-pss-sha512",
        '"@signature-params": ();created=1618884473;keyid="test-key-rsa-pss";nonce="b3k2pp5k7z-50gnwp.yemd"',
    ),
    (
        "sig-b22",
        '("@authority" "content-digest" "@query-param";name="Pet");created=1618884473'
        ';keyid="test-key-rsa-pss";tag="header-example"',
        "LjbtqUbfmvjj5C5kr1Ugj4PmLYvx9wVjZvD9GsTT4F7GrcQEdJzgI9qHxICagShLRiLMlAJjtq6N4CDfKtjvuJyE5qH7KT8UCM"
        "kSowOB4+ECxCmT8rtAmj/0PIXxi0A0nxKyB09RNrCQibbUjsLS/2YyFYXEu4TRJQzRw1rLEuEfY17SARYhpTlaqwZVtR8NV7+4U"
        "KkjqpcAoFqWFQh62s7Cl+H2fjBSpqfZUJcsIk4N6wiKYd4je2U/lankenQ99PZfB4jY3I5rSV2DSBVkSFsURIjYErOs0tFTQosM"
        "TAoxk//0RoKUqiYY8Bh0aaUEb0rQl3/XaVe4bXTugEjHSw==",
        RSA_PSS_PUBLIC,
        "rsa-pss-sha512",
        '"@authority": example.com\n'
        '"content-digest": ' + B2_HEADERS["Content-Digest"] + "\n"
        '"@query-param";name="Pet": dog\n'
        '"@signature-params": ("@authority" "content-digest" "@query-param";name="Pet")'
        ';created=1618884473;keyid="test-key-rsa-pss";tag="header-example"',
    ),
    (
        "sig-b23",
        '("date" "@method" "@path" "@query" "@authority" "content-type" "content-digest" "content-length")'
        ';created=1618884473;keyid="test-key-rsa-pss"',
        "bbN8oArOxYoyylQQUU6QYwrTuaxLwjAC9fbY2F6SVWvh0yBiMIRGOnMYwZ/5MR6fb0Kh1rIRASVxFkeGt683+qRpRRU5p2voTp"
        "768ZrCUb38K0fUxN0O0iC59DzYx8DFll5GmydPxSmme9v6ULbMFkl+V5B1TP/yPViV7KsLNmvKiLJH1pFkh/aYA2HXXZzNBXmIk"
        "oQoLd7YfW91kE9o/CCoC1xMy7JA1ipwvKvfrs65ldmlu9bpG6A9BmzhuzF8Eim5f8ui9eH8LZH896+QIF61ka39VBrohr9iyMUJ"
        "pvRX2Zbhl5ZJzSRxpJyoEZAFL2FUo5fTIztsDZKEgM4cUA==",
        RSA_PSS_PUBLIC,
        "rsa-pss-sha512",
        '"date": Tue, 20 Apr 2021 02:07:55 GMT\n'
        '"@method": POST\n'
        '"@path": /foo\n'
        '"@query": ?param=Value&Pet=dog\n'
        '"@authority": example.com\n'
        '"content-type": application/json\n'
        '"content-digest": ' + B2_HEADERS["Content-Digest"] + "\n"
        '"content-length": 18\n'
        '"@signature-params": ("date" "@method" "@path" "@query" "@authority" "content-type" '
        '"content-digest" "content-length");created=1618884473;keyid="test-key-rsa-pss"',
    ),
    (
        "sig-b26",
        '("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473'
        ';keyid="test-key-ed25519"',
        "wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==",
        ED25519_PUBLIC,
        "ed25519",
        '"date": Tue, 20 Apr 2021 02:07:55 GMT\n'
        '"@method": POST\n'
        '"@path": /foo\n'
        '"@authority": example.com\n'
        '"content-type": application/json\n'
        '"content-length": 18\n'
        '"@signature-params": ("date" "@method" "@path" "@authority" "content-type" "content-length")'
        ';created=1618884473;keyid="test-key-ed25519"',
    ),
]


def _b2_request(label: str, signature_input: str, signature: str) -> SignedRequest:
    headers = {
        **B2_HEADERS,
        "Signature-Input": f"{label}={signature_input}",
        "Signature": f"{label}=:{signature}:",
    }
    return SignedRequest("POST", B2_URL, headers, B2_BODY)


@pytest.mark.parametrize(("label", "signature_input", "signature", "key", "algorithm", "base"), B2_VECTORS)
def test_rfc9421_appendix_b2_signature_base_and_signature(
    label: str, signature_input: str, signature: str, key: str, algorithm: str, base: str
) -> None:
    request = _b2_request(label, signature_input, signature)
    parsed = rfc9421._parse_rfc9421(request)
    built = rfc9421._signature_base(request, urlsplit(B2_URL), parsed.components, parsed.signature_params)
    assert built.decode() == base
    public_key = common._load_public_key(key)
    assert common._verify_bytes(public_key, algorithm, parsed.signature, built)
    assert key_id_of(request) == parsed.key_id


@pytest.mark.parametrize(
    ("label", "message"),
    [
        ("sig-b21", 'must cover "@method"'),
        ("sig-b22", 'must cover "@method"'),
        ("sig-b26", 'must cover "@target-uri"'),
    ],
)
def test_rfc9421_appendix_b2_vectors_too_weak_for_federation(label: str, message: str) -> None:
    vector = next(v for v in B2_VECTORS if v[0] == label)
    request = _b2_request(*vector[:3])
    with pytest.raises(SignatureError, match=message):
        verify(request, vector[3], now=B2_CREATED)


def test_rfc9421_appendix_b23_needs_alg_since_rsa_keys_default_to_pkcs1() -> None:
    """B.2.3 covers enough, but names no alg: like Mastodon we take an RSA key to mean
    rsa-v1_5-sha256, so this RSA-PSS signature does not verify."""
    vector = next(v for v in B2_VECTORS if v[0] == "sig-b23")
    with pytest.raises(SignatureError, match="does not match the request and the key test-key-rsa-pss"):
        verify(_b2_request(*vector[:3]), RSA_PSS_PUBLIC, now=B2_CREATED)


# --- RFC 9421 signatures made with raw cryptography ------------------------------------------

CREATED = int(NOW)
OUTBOX = "https://kith.example/users/alice/outbox?page=true"
ED_KEY_ID = "https://remote.example/users/bob#ed25519-key"


def _message_signed(
    headers: dict[str, str], components: str, lines: list[str], params: str, sign=_raw_ed25519_sign
) -> dict[str, str]:
    """headers plus Signature-Input/Signature, the signature base written out by hand."""
    signature_params = f"({components}){params}"
    base = "\n".join([*lines, f'"@signature-params": {signature_params}'])
    signature = sign(base.encode())
    return {**headers, "Signature-Input": f"sig1={signature_params}", "Signature": f"sig1=:{signature}:"}


def _ed25519_get(params: str = f';created={CREATED};keyid="{ED_KEY_ID}"', url: str = OUTBOX) -> SignedRequest:
    headers = _message_signed(
        {"Accept": "application/activity+json"},
        '"@method" "@target-uri"',
        ['"@method": GET', f'"@target-uri": {url}'],
        params,
    )
    return SignedRequest("GET", url, headers)


def _rsa_post(
    body: bytes = BODY, *, content_digest: str | None = None, params: str = "", sign=_raw_rsa_sign
) -> SignedRequest:
    digest = content_digest or f"sha-256=:{_b64_sha256(body)}:"
    headers = _message_signed(
        {"Content-Type": "application/activity+json", "Content-Digest": digest},
        '"@method" "@target-uri" "content-digest" "content-type"',
        [
            '"@method": POST',
            f'"@target-uri": {INBOX}',
            f'"content-digest": {digest}',
            '"content-type": application/activity+json',
        ],
        params or f';created={CREATED};keyid="{KEY_ID}"',
        sign=sign,
    )
    return SignedRequest("POST", INBOX, headers, body)


def test_rfc9421_ed25519_get_verifies() -> None:
    request = _ed25519_get()
    assert key_id_of(request) == ED_KEY_ID
    assert verify(request, ED25519_PUBLIC, now=NOW) == VerifiedSignature(
        ED_KEY_ID, "rfc9421", "ed25519", ("@method", "@target-uri")
    )


def test_rfc9421_rsa_post_like_mastodon_verifies() -> None:
    result = verify(_rsa_post(), RSA_PUBLIC_PKCS1, now=NOW)
    assert result == VerifiedSignature(
        KEY_ID, "rfc9421", "rsa-v1_5-sha256", ("@method", "@target-uri", "content-digest", "content-type")
    )


def test_rfc9421_rsa_pss_with_explicit_alg_verifies() -> None:
    params = f';created={CREATED};keyid="{KEY_ID}";alg="rsa-pss-sha512"'
    request = _rsa_post(params=params, sign=_raw_rsa_pss_sign)
    assert verify(request, RSA_PUBLIC_PKCS1, now=NOW).algorithm == "rsa-pss-sha512"


def test_rfc9421_content_digest_sha512_verifies() -> None:
    digest = "sha-512=:" + base64.b64encode(hashlib.sha512(BODY).digest()).decode() + ":"
    assert verify(_rsa_post(content_digest=digest), RSA_PUBLIC_PKCS1, now=NOW)


def test_rfc9421_nonce_tag_and_expires_are_accepted() -> None:
    params = f';created={CREATED};expires={CREATED + 60};keyid="{ED_KEY_ID}";nonce="n1";tag="fediverse"'
    assert verify(_ed25519_get(params), ED25519_PUBLIC, now=NOW)
    with pytest.raises(SignatureError, match="expired"):
        verify(_ed25519_get(params), ED25519_PUBLIC, now=NOW + 61)


def test_rfc9421_every_derived_component_and_combined_fields() -> None:
    url = "https://Kith.Example:8443/a/b?x=1&q=two+words&e=%7E"
    headers = CIMultiDict([("Accept", "application/activity+json"), ("X-Multi", "a"), ("x-multi", " b ")])
    components = (
        '"@method" "@target-uri" "@authority" "@scheme" "@path" "@query" "@request-target" '
        '"@query-param";name="q" "@query-param";name="e" "accept" "x-multi"'
    )
    lines = [
        '"@method": GET',
        f'"@target-uri": {url}',
        '"@authority": kith.example:8443',
        '"@scheme": https',
        '"@path": /a/b',
        '"@query": ?x=1&q=two+words&e=%7E',
        '"@request-target": /a/b?x=1&q=two+words&e=%7E',
        '"@query-param";name="q": two+words',
        '"@query-param";name="e": %7E',
        '"accept": application/activity+json',
        '"x-multi": a, b',
    ]
    signed = _message_signed({}, components, lines, f';created={CREATED};keyid="{ED_KEY_ID}"')
    headers.extend(signed)
    result = verify(SignedRequest("GET", url, headers), ED25519_PUBLIC, now=NOW)
    assert result.covered[7] == '@query-param;name="q"'


def test_rfc9421_default_port_is_left_out_of_authority() -> None:
    url = "https://kith.example:443/"
    headers = _message_signed(
        {},
        '"@method" "@authority" "@request-target"',
        ['"@method": GET', '"@authority": kith.example', '"@request-target": /'],
        f';created={CREATED};keyid="{ED_KEY_ID}"',
    )
    assert verify(SignedRequest("GET", url, headers), ED25519_PUBLIC, now=NOW)


def test_rfc9421_tampered_body_is_refused() -> None:
    request = _rsa_post()
    forged = SignedRequest("POST", INBOX, request.headers, BODY + b" ")
    with pytest.raises(SignatureError, match="Content-Digest header's sha-256 does not match the body"):
        verify(forged, RSA_PUBLIC_PKCS1, now=NOW)


def test_rfc9421_other_target_is_refused() -> None:
    request = _ed25519_get()
    with pytest.raises(SignatureError, match="does not match the request and the key"):
        verify(SignedRequest("GET", OUTBOX + "&x=1", request.headers), ED25519_PUBLIC, now=NOW)


def test_rfc9421_wrong_key_is_refused() -> None:
    other = ed25519.Ed25519PrivateKey.generate().public_key()
    pem = other.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    with pytest.raises(SignatureError, match="does not match"):
        verify(_ed25519_get(), pem.decode(), now=NOW)


@pytest.mark.parametrize(
    ("created", "message"),
    [(CREATED - 3601, "created time is more than 3600 s old"), (CREATED + 3601, "in the future")],
)
def test_rfc9421_created_must_be_within_an_hour(created: int, message: str) -> None:
    request = _ed25519_get(f';created={created};keyid="{ED_KEY_ID}"')
    with pytest.raises(SignatureError, match=message):
        verify(request, ED25519_PUBLIC, now=NOW)


@pytest.mark.parametrize(
    ("alg", "key", "message"),
    [
        ("hmac-sha256", ED25519_PUBLIC, "unsupported signature algorithm 'hmac-sha256'"),
        ("ecdsa-p256-sha256", ED25519_PUBLIC, "unsupported signature algorithm"),
        ("rsa-v1_5-sha256", ED25519_PUBLIC, "does not fit the signer's Ed25519 key"),
        ("ed25519", RSA_PUBLIC_PKCS1, "does not fit the signer's RSA key"),
    ],
)
def test_rfc9421_algorithm_must_be_known_and_fit_the_key(alg: str, key: str, message: str) -> None:
    request = _ed25519_get(f';created={CREATED};keyid="{ED_KEY_ID}";alg="{alg}"')
    with pytest.raises(SignatureError, match=message):
        verify(request, key, now=NOW)


@pytest.mark.parametrize(
    ("content_digest", "message"),
    [
        ("md5=:AAAA:", "offers no SHA-256 or SHA-512"),
        ("sha-256=abc", "sha-256 is not a byte sequence"),
        ("sha-256=:AAAA:, sha-256=:AAAA:", "repeats the key sha-256"),
        ("sha-256=:" + _b64_sha256(b"other") + ":", "does not match the body"),
    ],
)
def test_rfc9421_bad_content_digest_is_refused(content_digest: str, message: str) -> None:
    request = _rsa_post(content_digest=content_digest)
    with pytest.raises(SignatureError, match=message):
        verify(request, RSA_PUBLIC_PKCS1, now=NOW)


def test_rfc9421_post_must_cover_content_digest() -> None:
    headers = _message_signed(
        {}, '"@method" "@target-uri"', ['"@method": POST', f'"@target-uri": {INBOX}'],
        f';created={CREATED};keyid="{ED_KEY_ID}"',
    )
    with pytest.raises(SignatureError, match="must sign its Content-Digest"):
        verify(SignedRequest("POST", INBOX, headers, BODY), ED25519_PUBLIC, now=NOW)


def test_rfc9421_missing_content_digest_header_is_refused() -> None:
    request = _rsa_post()
    headers = {k: v for k, v in request.headers.items() if k != "content-digest"}
    with pytest.raises(SignatureError, match="Content-Digest header is missing"):
        verify(SignedRequest("POST", INBOX, headers, BODY), RSA_PUBLIC_PKCS1, now=NOW)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://kith.example/?a=1&a=2", "'a' is repeated"),
        ("https://kith.example/?b=1", "'a', which is absent"),
    ],
)
def test_rfc9421_query_param_must_occur_once(url: str, message: str) -> None:
    headers = _message_signed(
        {}, '"@method" "@target-uri" "@query-param";name="a"',
        ['"@method": GET', f'"@target-uri": {url}', '"@query-param";name="a": 1'],
        f';created={CREATED};keyid="{ED_KEY_ID}"',
    )
    with pytest.raises(SignatureError, match=message):
        verify(SignedRequest("GET", url, headers), ED25519_PUBLIC, now=NOW)


GOOD_PARAMS = ';created=1700000000;keyid="k"'
THIRTY_ONE = " ".join(f'"x-h{i}"' for i in range(31))


@pytest.mark.parametrize(
    ("signature_input", "signature", "message"),
    [
        ('sig1=("@method"', "sig1=:AAAA:", "not a valid RFC 8941 dictionary"),
        (f'sig1=("@method"){GOOD_PARAMS}, sig1=("@path"){GOOD_PARAMS}', "sig1=:AAAA:", "repeats the key sig1"),
        ('sig1=("@method");created=1;keyid="a";keyid="b"', "sig1=:AAAA:", "repeats the parameter 'keyid'"),
        ('sig1=("@query-param";name="a";name="b")' + GOOD_PARAMS, "sig1=:AAAA:", "repeats the parameter 'name'"),
        ('sig1=("@method")' + GOOD_PARAMS, "sig2=:AAAA:", "Signature header has no sig1 entry"),
        ('sig1=("@method")' + GOOD_PARAMS, 'sig1="AAAA"', "Signature sig1 is not a byte sequence"),
        ('sig1=("@method")' + GOOD_PARAMS, "sig1=:AA*A:", "Signature header is not a valid"),
        ('sig1="@method"', "sig1=:AAAA:", "not a list of components"),
        ("sig1=(date)" + GOOD_PARAMS, "sig1=:AAAA:", "must be quoted strings"),
        ('sig1=("Date")' + GOOD_PARAMS, "sig1=:AAAA:", "not a lower-case header name"),
        ('sig1=("")' + GOOD_PARAMS, "sig1=:AAAA:", "not a lower-case header name"),
        ('sig1=("@method" "@method")' + GOOD_PARAMS, "sig1=:AAAA:", 'covers "@method" twice'),
        ('sig1=("content-type";sf)' + GOOD_PARAMS, "sig1=:AAAA:", "parameter 'sf'"),
        ('sig1=("content-type";key="a")' + GOOD_PARAMS, "sig1=:AAAA:", "parameter 'key'"),
        ('sig1=("content-type";bs)' + GOOD_PARAMS, "sig1=:AAAA:", "parameter 'bs'"),
        ('sig1=("@method";req)' + GOOD_PARAMS, "sig1=:AAAA:", "parameter 'req'"),
        ('sig1=("@query-param")' + GOOD_PARAMS, "sig1=:AAAA:", "needs a name parameter"),
        ('sig1=("@status")' + GOOD_PARAMS, "sig1=:AAAA:", "unsupported derived component '@status'"),
        ('sig1=("@signature-params")' + GOOD_PARAMS, "sig1=:AAAA:", "unsupported derived component"),
        ('sig1=("@method");created=1700000000', "sig1=:AAAA:", "has no keyid"),
        ('sig1=("@method");created=1700000000;keyid=k', "sig1=:AAAA:", "keyid must be a string"),
        ('sig1=("@method");keyid="k"', "sig1=:AAAA:", "has no created time"),
        ('sig1=("@method");created="now";keyid="k"', "sig1=:AAAA:", "created must be an integer"),
        ('sig1=("@method");created;keyid="k"', "sig1=:AAAA:", "created must be an integer"),
        ('sig1=("@method");created=1.5;keyid="k"', "sig1=:AAAA:", "created must be an integer"),
        ('sig1=("@method")' + GOOD_PARAMS + ";alg=ed25519", "sig1=:AAAA:", "alg must be a string"),
        ('sig1=("@method")' + GOOD_PARAMS + ";nonce=1", "sig1=:AAAA:", "nonce must be a string"),
        (f"sig1=({THIRTY_ONE})" + GOOD_PARAMS, "sig1=:AAAA:", "more than 30 components"),
        ('sig1=("@method");created=1;keyid="' + "k" * 9000 + '"', "sig1=:AAAA:", "longer than 8192"),
        ('sig1=("@method");created=1;keyid="é"', "sig1=:AAAA:", "not ASCII"),
        ("", "sig1=:AAAA:", "not a valid RFC 8941 dictionary"),
    ],
)
def test_rfc9421_hostile_headers_are_refused(signature_input: str, signature: str, message: str) -> None:
    request = SignedRequest("GET", OUTBOX, {"Signature-Input": signature_input, "Signature": signature})
    with pytest.raises(SignatureError, match=message):
        key_id_of(request)
    with pytest.raises(SignatureError, match=message):
        verify(request, ED25519_PUBLIC, now=NOW)


def test_rfc9421_parameter_text_inside_strings_is_not_a_repeat() -> None:
    key_id = "https://remote.example/k;keyid=x;created=1"
    request = _ed25519_get(f';created={CREATED};keyid="{key_id}"')
    assert verify(request, ED25519_PUBLIC, now=NOW).key_id == key_id


def test_rfc9421_missing_signature_header_is_refused() -> None:
    request = SignedRequest("GET", OUTBOX, {"Signature-Input": 'sig1=("@method")' + GOOD_PARAMS})
    with pytest.raises(SignatureError, match="Signature header is missing"):
        key_id_of(request)


def test_rfc9421_only_the_first_label_is_checked() -> None:
    request = _ed25519_get()
    headers = {
        **request.headers,
        "signature-input": request.headers["signature-input"] + ', proxy=("@method");created=1;keyid="p"',
        "signature": request.headers["signature"] + ", proxy=:AAAA:",
    }
    assert verify(SignedRequest("GET", OUTBOX, headers), ED25519_PUBLIC, now=NOW).key_id == ED_KEY_ID


# --- signing ---------------------------------------------------------------------------------


def test_digest_headers_match_published_values() -> None:
    # draft-cavage-12 Appendix C and RFC 9530 both digest this body.
    assert digest_header(SPEC_BODY) == "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="
    assert content_digest_header(SPEC_BODY) == "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"


def _signature_params(header: str) -> dict[str, str]:
    return dict(re.findall(r'(\w+)="([^"]*)"', header))


def test_sign_cavage_post_is_what_mastodon_expects() -> None:
    headers = sign_cavage(
        "POST", INBOX, {"Content-Type": "application/activity+json", "User-Agent": "Kith"}, BODY,
        KEY_ID, RSA_PRIVATE_PKCS1, now=NOW,
    )
    assert headers["Host"] == "kith.example"
    assert headers["Date"] == DATE
    assert headers["Digest"] == "SHA-256=" + _b64_sha256(BODY)
    assert headers["User-Agent"] == "Kith"
    params = _signature_params(headers["Signature"])
    assert params["keyId"] == KEY_ID
    assert params["algorithm"] == "rsa-sha256"
    assert params["headers"] == "(request-target) host date digest content-type"
    # Checked by hand, as a receiving server would.
    signing_string = (
        "(request-target): post /users/alice/inbox\nhost: kith.example\n"
        f"date: {DATE}\ndigest: {headers['Digest']}\ncontent-type: application/activity+json"
    )
    public = serialization.load_pem_public_key(RSA_PUBLIC_PKCS1.encode())
    assert isinstance(public, rsa.RSAPublicKey)
    signature = base64.b64decode(params["signature"])
    public.verify(signature, signing_string.encode(), padding.PKCS1v15(), hashes.SHA256())
    assert verify(SignedRequest("POST", INBOX, headers, BODY), RSA_PUBLIC_PKCS1, now=NOW).scheme == "cavage"


def test_sign_cavage_get_covers_query_and_accept() -> None:
    accept = {"Accept": "application/activity+json"}
    headers = sign_cavage("GET", OUTBOX, accept, None, KEY_ID, RSA_PRIVATE_PKCS1, now=NOW)
    assert "Digest" not in headers
    assert _signature_params(headers["Signature"])["headers"] == "(request-target) host date accept"
    signing_string = (
        f"(request-target): get /users/alice/outbox?page=true\nhost: kith.example\ndate: {DATE}\n"
        "accept: application/activity+json"
    )
    assert _signature_params(headers["Signature"])["signature"] == _raw_rsa_sign(signing_string.encode())
    assert verify(SignedRequest("GET", OUTBOX, headers), RSA_PUBLIC_PKCS1, now=NOW)


def test_sign_cavage_with_ed25519_uses_hs2019() -> None:
    url = "http://localhost:8001/users/a"
    headers = sign_cavage("GET", url, {}, None, ED_KEY_ID, ED25519_PRIVATE, now=NOW)
    assert headers["Host"] == "localhost:8001"
    assert _signature_params(headers["Signature"])["algorithm"] == "hs2019"
    assert verify(SignedRequest("GET", url, headers), ED25519_PUBLIC, now=NOW)


def test_sign_cavage_replaces_caller_signing_headers() -> None:
    given = {"host": "evil.example", "DATE": "then", "digest": "x", "Content-Type": "application/json"}
    headers = sign_cavage("POST", INBOX, given, BODY, KEY_ID, RSA_PRIVATE_PKCS1, now=NOW)
    assert sorted(headers) == ["Content-Type", "Date", "Digest", "Host", "Signature"]


def test_sign_rfc9421_post_is_what_mastodon_expects() -> None:
    headers = sign_rfc9421(
        "POST", INBOX, {"Content-Type": "application/activity+json"}, BODY, KEY_ID, RSA_PRIVATE_PKCS1, now=NOW
    )
    assert headers["Content-Digest"] == f"sha-256=:{_b64_sha256(BODY)}:"
    signature_params = (
        f'("@method" "@target-uri" "content-digest" "content-type");created={CREATED};keyid="{KEY_ID}"'
    )
    assert headers["Signature-Input"] == f"sig1={signature_params}"
    base = (
        f'"@method": POST\n"@target-uri": {INBOX}\n"content-digest": {headers["Content-Digest"]}\n'
        f'"content-type": application/activity+json\n"@signature-params": {signature_params}'
    )
    assert headers["Signature"] == f"sig1=:{_raw_rsa_sign(base.encode())}:"
    result = verify(SignedRequest("POST", INBOX, headers, BODY), RSA_PUBLIC_PKCS1, now=NOW)
    assert (result.scheme, result.algorithm) == ("rfc9421", "rsa-v1_5-sha256")


def test_sign_rfc9421_get_with_ed25519() -> None:
    headers = sign_rfc9421("GET", OUTBOX, {}, None, ED_KEY_ID, ED25519_PRIVATE, now=NOW)
    signature_params = f'("@method" "@target-uri");created={CREATED};keyid="{ED_KEY_ID}"'
    base = f'"@method": GET\n"@target-uri": {OUTBOX}\n"@signature-params": {signature_params}'
    assert headers["Signature"] == f"sig1=:{_raw_ed25519_sign(base.encode())}:"
    assert verify(SignedRequest("GET", OUTBOX, headers), ED25519_PUBLIC, now=NOW).algorithm == "ed25519"


@pytest.mark.parametrize("sign", [sign_cavage, sign_rfc9421])
def test_signing_refuses_bad_input(sign) -> None:
    with pytest.raises(ValueError, match="Content-Type"):
        sign("POST", INBOX, {}, BODY, KEY_ID, RSA_PRIVATE_PKCS1)
    with pytest.raises(ValueError, match="absolute http"):
        sign("GET", "/users/alice", {}, None, KEY_ID, RSA_PRIVATE_PKCS1)


def test_sign_cavage_refuses_unquotable_key_id() -> None:
    with pytest.raises(ValueError, match="quoted string"):
        sign_cavage("GET", OUTBOX, {}, None, 'https://x/"k', RSA_PRIVATE_PKCS1)


# --- keys ------------------------------------------------------------------------------------


def test_generated_keys_sign_and_verify_both_schemes() -> None:
    private_pem, public_pem = generate_rsa_keypair()
    for sign in (sign_cavage, sign_rfc9421):
        headers = sign("POST", INBOX, {"Content-Type": "application/json"}, BODY, KEY_ID, private_pem)
        assert verify(SignedRequest("POST", INBOX, headers, BODY), public_pem).key_id == KEY_ID


def test_unreadable_public_key_is_refused() -> None:
    with pytest.raises(SignatureError, match="not a PEM public key"):
        verify(_mastodon_post(), "-----BEGIN PUBLIC KEY-----\nnonsense\n-----END PUBLIC KEY-----", now=NOW)


def test_ecdsa_public_key_is_refused() -> None:
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    pem = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    with pytest.raises(SignatureError, match="neither RSA nor Ed25519"):
        verify(_mastodon_post(), pem.decode(), now=NOW)


def test_signed_request_headers_ignore_case() -> None:
    request = SignedRequest("GET", OUTBOX, {"Content-Type": "a", "X-Y": "b"})
    assert request.headers["content-type"] == "a"
    assert request.headers["X-y"] == "b"
    assert "CONTENT-TYPE" in request.headers


# --- sanity and robustness -------------------------------------------------------------------


def test_many_verifications_parse_the_key_once() -> None:
    common._load_public_key.cache_clear()
    for i in range(50):
        body = f'{{"n": {i}}}'.encode()
        content_type = {"Content-Type": "application/json"}
        headers = sign_cavage("POST", INBOX, content_type, body, KEY_ID, RSA_PRIVATE_PKCS1)
        assert verify(SignedRequest("POST", INBOX, headers, body), RSA_PUBLIC_PKCS1).key_id == KEY_ID
    info = common._load_public_key.cache_info()
    assert (info.misses, info.hits) == (1, 49)


def _mutations(text: str, rng: random.Random, count: int) -> list[str]:
    alphabet = ' ,;=:"\\()*?@-_.aZ09\t\x00é'
    out = []
    for _ in range(count):
        chars = list(text)
        for _ in range(rng.randint(1, 4)):
            i = rng.randrange(len(chars) + 1)
            action = rng.random()
            if action < 0.4 and i < len(chars):
                del chars[i]
            elif action < 0.8:
                chars.insert(i, rng.choice(alphabet))
            else:
                chars = chars[:i]
        out.append("".join(chars))
    return out


def test_mangled_headers_only_ever_raise_signature_error() -> None:
    rng = random.Random(9421)
    cavage = _mastodon_post()
    message = _rsa_post()
    cases = [
        (cavage, "signature", mangled) for mangled in _mutations(cavage.headers["signature"], rng, 300)
    ] + [
        (message, name, mangled)
        for name in ("signature-input", "signature", "content-digest")
        for mangled in _mutations(message.headers[name], rng, 200)
    ]
    for request, name, mangled in cases:
        headers = {**request.headers, name: mangled}
        forged = SignedRequest(request.method, request.url, headers, request.body)
        try:
            key_id_of(forged)
            verify(forged, RSA_PUBLIC_PKCS1, now=NOW)
        except SignatureError:
            pass
