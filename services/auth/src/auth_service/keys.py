"""Signing keys: PEM files in a directory and/or one PEM in the environment; every public key is in JWKS.

Rotation without downtime: add a new ``<kid>.pem`` whose name sorts last (it signs from then on);
keep the old file until its tokens have expired (it still verifies), then remove it. A key given as
PEM text (``JWT_PRIVATE_KEY``, e.g. from a secret store) signs; the directory's keys still verify.
Outside development nothing is generated: a service without a configured key refuses to start.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

__all__ = ["MIN_KEY_BITS", "KeyRing", "SigningKey", "generate_key_file", "thumbprint"]

log = logging.getLogger("auth.keys")

MIN_KEY_BITS = 2048


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: rsa.RSAPrivateKey

    @property
    def public_key(self) -> rsa.RSAPublicKey:
        return self.private_key.public_key()

    def jwk(self) -> dict[str, Any]:
        jwk: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(self.public_key))
        return {**jwk, "kid": self.kid, "use": "sig", "alg": "RS256"}


def thumbprint(public_key: rsa.RSAPublicKey) -> str:
    """The RFC 7638 JWK thumbprint: a stable key id derived from the key itself."""
    jwk = json.loads(RSAAlgorithm.to_jwk(public_key))
    canonical = json.dumps({k: jwk[k] for k in ("e", "kty", "n")}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).decode().rstrip("=")


def _rsa_key(pem: bytes, source: str) -> rsa.RSAPrivateKey:
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise RuntimeError(f"{source} is not a readable unencrypted PEM private key: {exc}") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise RuntimeError(f"{source} is not an RSA private key")
    if key.key_size < MIN_KEY_BITS:
        raise RuntimeError(f"{source} has {key.key_size} bits; at least {MIN_KEY_BITS} are required")
    return key


def generate_key_file(directory: Path) -> Path:
    """Write a new 2048-bit RSA key named by today's date (so it sorts last and signs)."""
    directory.mkdir(parents=True, exist_ok=True)
    kid = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = directory / f"{kid}.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    path.chmod(0o600)
    return path


class KeyRing:
    def __init__(self, keys: list[SigningKey]) -> None:
        if not keys:
            raise ValueError("no signing keys")
        self.keys = keys
        self.by_kid = {k.kid: k for k in keys}

    @property
    def current(self) -> SigningKey:
        return self.keys[-1]

    def public_keys(self) -> dict[str, rsa.RSAPublicKey]:
        return {k.kid: k.public_key for k in self.keys}

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        return {"keys": [k.jwk() for k in self.keys]}

    @classmethod
    def load(
        cls,
        directory: Path,
        *,
        generate_if_missing: bool,
        pem: str | None = None,
        pem_kid: str = "",
    ) -> KeyRing:
        """Keys from ``directory`` (sorted by name) then ``pem``; the last one signs."""
        files = sorted(directory.glob("*.pem")) if directory.is_dir() else []
        if not files and pem is None:
            if not generate_if_missing:
                raise RuntimeError(
                    f"no signing key configured: put <kid>.pem RSA private keys in JWT_PRIVATE_KEYS_DIR "
                    f"({directory}) or set JWT_PRIVATE_KEY to a PEM private key"
                )
            files = [generate_key_file(directory)]
            log.warning("generated a development signing key", extra={"path": str(files[0])})
        keys = [SigningKey(path.stem, _rsa_key(path.read_bytes(), str(path))) for path in files]
        if pem is not None:
            key = _rsa_key(pem.encode(), "JWT_PRIVATE_KEY")
            keys.append(SigningKey(pem_kid or thumbprint(key.public_key()), key))
        if len({k.kid for k in keys}) != len(keys):
            raise RuntimeError("two signing keys share a key id; give each key its own name")
        return cls(keys)


if __name__ == "__main__":  # python -m auth_service.keys DIR: add a new signing key to DIR
    import sys

    print(generate_key_file(Path(sys.argv[1] if len(sys.argv) > 1 else ".dev/keys")))
