"""Signing keys: the key ring that signs access tokens, its JWKS, and what auth's verifier trusts."""
