"""Registers a fresh account on a running hush-server and logs it in, the way a hush client
does (docs/spec/sync-api-v2.md, "Accounts" and "Sessions"), then pushes one item so that pulls
have something to return; prints the account id and the session token, one per line.

The server only checks signatures, so no hush crypto is needed here: an Ed25519 key pair signs
the login message of docs/spec/crypto-v2.md, "Server authentication":
`"hush/v1/login" || account_id (16 bytes) || challenge (32 bytes)`. The keyset and blobs are
random bytes of the right shape (the server reads only a keyset's clear header).

Usage: python3 session.py http://127.0.0.1:PORT
"""

import base64
import json
import os
import sys
import urllib.request
import uuid

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


def b64(data: bytes) -> str:
    """Base64url without padding, as the API wants every byte string."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def call(base: str, method: str, path: str, body: dict, token: str | None = None) -> dict:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(base + path, data=json.dumps(body).encode(), method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"null")


def main() -> None:
    base = sys.argv[1].rstrip("/")
    account = os.urandom(16)
    account_id = str(uuid.UUID(bytes=account))
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    # crypto-v2.md, "Keyset": format 2, key version 1, a nonce, then the sealed ring (one key:
    # 4 + 36 bytes, and the 16-byte tag).
    keyset = bytes([2]) + (1).to_bytes(4, "little") + os.urandom(24 + 40 + 16)
    call(base, "POST", "/v2/accounts", {
        "account_id": account_id,
        "kdf": {"m_kib": 65536, "t": 3, "p": 1, "salt": b64(os.urandom(16))},
        "auth_public_key": b64(public),
        "keyset": b64(keyset),
    })
    challenge = call(base, "POST", "/v2/sessions/challenge", {"account_id": account_id})["challenge"]
    signature = key.sign(b"hush/v1/login" + account + unb64(challenge))
    session = call(base, "POST", "/v2/sessions", {
        "account_id": account_id,
        "challenge": challenge,
        "signature": b64(signature),
        "device_name": b64(os.urandom(110)),
    })
    token = session["token"]
    call(base, "POST", "/v2/vault", {
        "base_seq": 0,
        "manifest": b64(os.urandom(160)),
        "items": [{"id": str(uuid.uuid4()), "blob": b64(os.urandom(301))}],
    }, token)
    print(account_id)
    print(token)


if __name__ == "__main__":
    main()
