"""Sessions: sign-in, refresh, sign-out and the caller's devices, each a refresh-token family."""
