"""forwardAuth: the gateway's per-request check (token, revocation, client version, tier limit)."""
