"""Signing keys of a workspace (Ed25519), one file per key in `keys/`.

A key's id is derived from its public key, so a verifier can pick the key
a token names without any table. `keys/ACTIVE` names the key that signs
new documents; older keys stay so that what they signed still verifies.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .fsutil import atomic_write_bytes, create_private_file

ACTIVE_FILE = "ACTIVE"


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b32encode(hashlib.sha256(raw).digest()).decode("ascii")[:8]


def create_signing_key(keys_dir: Path) -> str:
    """Generate a key, store it owner-only, make it the active one; returns its id."""
    private = Ed25519PrivateKey.generate()
    kid = key_id(private.public_key())
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    create_private_file(Path(keys_dir) / f"{kid}.key", pem)
    atomic_write_bytes(Path(keys_dir) / ACTIVE_FILE, f"{kid}\n".encode("ascii"), mode=0o600)
    return kid


CHAIN_SECRET_FILE = "chain.secret"


def chain_secret(keys_dir: Path) -> bytes:
    """The workspace's secret that keys the registers' hash chains (created on first use).

    A plain sha256 chain can be recomputed by anyone who edits the database;
    keyed with this owner-only secret, an edit shows unless the editor also
    holds the keys folder.
    """
    path = Path(keys_dir) / CHAIN_SECRET_FILE
    try:
        return path.read_bytes()
    except FileNotFoundError:
        path.parent.mkdir(mode=0o700, exist_ok=True)
        try:
            create_private_file(path, secrets.token_bytes(32))
        except FileExistsError:  # another process made it first
            pass
        return path.read_bytes()
