#!/bin/sh
# `make up`: checks .env, then builds and starts the compose stack and waits until it is healthy.
# Extra arguments go to `docker compose up` (e.g. deploy/scripts/up.sh --no-build).
set -eu
cd "$(dirname "$0")/../.."
env_file=.env
compose="docker compose --env-file $env_file -f deploy/compose/compose.yaml"

[ -f "$env_file" ] || { echo "no $env_file: cp .env.example .env and fill it in (docs/deploy.md)" >&2; exit 1; }
if grep -Eq '^[A-Z0-9_]+=.*change-me' "$env_file"; then
    echo "$env_file still holds change-me values; replace them (openssl rand -hex 24):" >&2
    grep -E '^[A-Z0-9_]+=.*change-me' "$env_file" | cut -d= -f1 | sed 's/^/  /' >&2
    exit 1
fi
keys_dir="$(sed -n 's/^JWT_PRIVATE_KEYS_DIR=//p' "$env_file" | tail -n 1)"
case "$keys_dir" in
    /*) ;;
    *) keys_dir="deploy/compose/$keys_dir" ;;  # compose resolves relative paths from the compose file
esac
if ! ls "$keys_dir"/*.pem >/dev/null 2>&1; then
    echo "no signing key in $keys_dir: run deploy/scripts/gen-jwt-key.sh $keys_dir" >&2
    exit 1
fi
exec $compose up --build --detach --wait "$@"
