"""Signing keys: PEM files in a directory and/or one PEM in the environment; every public key is in JWKS.

Rotation without downtime, publish first and sign later: a key whose name starts with a UTC time
``YYYYmmddHHMMSS`` (what ``generate_key_file`` writes) signs only from that time on, while JWKS
serves it at once. Name a new key for a moment later than every verifier's JWKS cache time (plus the
time the file takes to reach every replica): by the time anything signs with it, every verifier
knows it. ``python -m auth_service.keys DIR`` writes such a key, ``PUBLISH_DELAY_SECONDS`` ahead.
Of the keys already in force the last by name signs; a name without a leading time is in force at
once. Keep the old file until its tokens have expired (it still verifies), then remove it. Auth
re-reads the directory (``KeyRing.reload``) on a schedule and when a token names an unknown key, so
no process needs a restart. A key given as PEM text (``JWT_PRIVATE_KEY``, e.g. from a secret store)
is in force at once and signs; the directory's keys still verify. Outside development nothing is
generated: a service without a configured key refuses to start.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

__all__ = [
    "MIN_KEY_BITS",
    "PUBLISH_DELAY_SECONDS",
    "KeyRing",
    "SigningKey",
    "generate_key_file",
    "not_before",
    "thumbprint",
]

log = logging.getLogger("auth.keys")

MIN_KEY_BITS = 2048
#: How far ahead a rotated key is named by default: beyond the verifiers' JWKS cache (300 s) and the
#: directory reload (``JWT_KEYS_RELOAD_SECONDS``), with room for a secret to reach every replica.
PUBLISH_DELAY_SECONDS = 900
_TIME_FORMAT = "%Y%m%d%H%M%S"
_LEADING_TIME = re.compile(r"^(\d{14})")


def _utcnow() -> datetime:
    return datetime.now(UTC)


def not_before(kid: str) -> datetime | None:
    """When a key named ``kid`` may start signing: the UTC time its name starts with, if any."""
    match = _LEADING_TIME.match(kid)
    if match is None:
        return None
    try:
        return datetime.strptime(match.group(1), _TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


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


def generate_key_file(directory: Path, *, delay_seconds: float = 0) -> Path:
    """Write a new 2048-bit RSA key named by the time it may sign: now plus ``delay_seconds``."""
    directory.mkdir(parents=True, exist_ok=True)
    kid = (datetime.now(UTC) + timedelta(seconds=delay_seconds)).strftime(_TIME_FORMAT)
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
    def __init__(self, keys: list[SigningKey], *, source: dict[str, Any] | None = None) -> None:
        if not keys:
            raise ValueError("no signing keys")
        self.keys = keys
        self.by_kid = {k.kid: k for k in keys}
        #: How ``load`` was called, so ``reload`` reads the same places again.
        self.source = source
        #: The clock deciding which keys are in force (tests move it).
        self.clock: Callable[[], datetime] = _utcnow

    @property
    def current(self) -> SigningKey:
        """The last key (by name) already in force; the earliest one if none is yet."""
        now = self.clock()
        in_force = [k for k in self.keys if (not_before(k.kid) or now) <= now]
        if in_force:
            return in_force[-1]
        return min(self.keys, key=lambda k: not_before(k.kid) or now)

    def reload(self) -> bool:
        """Read the key directory again; whether the set of keys changed. Keeps the keys on error."""
        if self.source is None:
            return False
        try:
            fresh = KeyRing.load(**{**self.source, "generate_if_missing": False})
        except (RuntimeError, OSError) as exc:
            log.error("could not reload the signing keys; keeping the loaded ones", extra={"error": str(exc)})
            return False
        if [k.kid for k in fresh.keys] == [k.kid for k in self.keys]:
            return False
        self.keys, self.by_kid = fresh.keys, fresh.by_kid
        log.info("signing keys reloaded", extra={"kids": [k.kid for k in self.keys]})
        return True

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
        source = {"directory": directory, "generate_if_missing": False, "pem": pem, "pem_kid": pem_kid}
        return cls(keys, source=source)
