#!/usr/bin/env python3
"""Writes the seed tokens of corpus/token_fuzz, signed with token_fuzz.cpp's fixed secret."""
import base64
import hashlib
import hmac
import json
import pathlib

SECRET = b"webpods-fuzz-secret"
LATER = 4102444800  # 2100-01-01, after token_fuzz's fixed "now"
CORPUS = pathlib.Path(__file__).resolve().parent / "corpus" / "token_fuzz"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token(header: dict, payload: dict, secret: bytes = SECRET) -> str:
    signing_input = b64url(json.dumps(header, separators=(",", ":")).encode()) + "." + b64url(
        json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode())
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + b64url(mac)


HS256 = {"alg": "HS256", "typ": "JWT"}
USER = {"user_id": "6f1c2b9e-3d4a-4f6b-9c1d-2e3f4a5b6c7d", "auth_id": "auth:github:1",
        "email": "alice@example.com", "name": "Alice", "provider": "github",
        "iat": 1700000000, "exp": LATER}

SEEDS = {
    "global": token(HS256, USER),
    "pod_bound": token(HS256, {**USER, "pod": "alice"}),
    "expired": token(HS256, {**USER, "exp": 1600000000}),
    "no_user": token(HS256, {k: v for k, v in USER.items() if k != "user_id"}),
    "unicode_name": token(HS256, {**USER, "name": "Zoë \"Z\" \\ \u00e9\u4e2d\U0001f600\n"}),
    "alg_none": token({"alg": "none"}, USER).rsplit(".", 1)[0] + ".",
    "crit": token({**HS256, "crit": ["exp"]}, USER),
    "exp_string": token(HS256, {**USER, "exp": str(LATER)}),
    "exp_huge": token(HS256, {**USER, "exp": 2**64}),
    "wrong_secret": token(HS256, USER, b"other-secret"),
    "name_number": token(HS256, {**USER, "name": 5, "pod": None}),
    "exp_true": token(HS256, {**USER, "exp": True, "iat": 1.5}),
    "header_array": "W10." + token(HS256, USER).split(".", 1)[1],
}

if __name__ == "__main__":
    CORPUS.mkdir(parents=True, exist_ok=True)
    for name, text in SEEDS.items():
        (CORPUS / name).write_text(text)
