"""Signing keys: PEM files in a directory, one key id each; every public key is served in JWKS.

Rotation without downtime: add a new ``<kid>.pem`` whose name sorts last (it signs from then on);
keep the old file until its tokens have expired (it still verifies), then remove it.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

__all__ = ["KeyRing", "SigningKey", "generate_key_file"]

log = logging.getLogger("auth.keys")


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
    def load(cls, directory: Path, *, generate_if_missing: bool) -> KeyRing:
        files = sorted(directory.glob("*.pem")) if directory.is_dir() else []
        if not files:
            if not generate_if_missing:
                raise RuntimeError(
                    f"no signing key in {directory}: set JWT_PRIVATE_KEYS_DIR to a directory holding "
                    "<kid>.pem RSA private keys (see docs/deploy.md)"
                )
            files = [generate_key_file(directory)]
            log.warning("generated a development signing key", extra={"path": str(files[0])})
        keys = []
        for path in files:
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
            if not isinstance(key, rsa.RSAPrivateKey):
                raise RuntimeError(f"{path} is not an RSA private key")
            keys.append(SigningKey(path.stem, key))
        return cls(keys)


if __name__ == "__main__":  # python -m auth_service.keys DIR: add a new signing key to DIR
    import sys

    print(generate_key_file(Path(sys.argv[1] if len(sys.argv) > 1 else ".dev/keys")))
