#!/bin/sh
# Writes a new RSA signing key for auth: <dir>/<kid>.pem, kid = UTC timestamp, so the newest sorts last
# and signs (auth_service.keys). Keep older keys until their tokens have expired, then delete them.
#   deploy/scripts/gen-jwt-key.sh .dev/jwt-keys
set -eu
dir="${1:?usage: $0 <keys-dir>}"
umask 022
mkdir -p "$dir"
kid="$(date -u +%Y%m%d%H%M%S)"
path="$dir/$kid.pem"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$path" 2>/dev/null
# The compose stack bind-mounts this folder into a container whose user (uid 10001) is not you, so the
# key must be world-readable: fine for a local stack. Kubernetes gets the key from a Secret instead.
chmod 0644 "$path"
echo "$path"
