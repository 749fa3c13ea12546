#!/bin/sh
# Runs once, when the Postgres data directory is first initialised (docker-entrypoint-initdb.d).
# Used by deploy/compose/compose.yaml and by the Kubernetes dev overlay (this one copy serves both).
#
# One login role and one database per service, each role owning only its own database and PUBLIC
# stripped of CONNECT: a service cannot read another's tables even though they share a server.
# Passwords come from the environment (<SERVICE>_DB_PASSWORD); none is written here.
set -eu

for svc in auth posts votes worker; do
    var="$(echo "$svc" | tr '[:lower:]' '[:upper:]')_DB_PASSWORD"
    eval "password=\${$var:?$var is not set}"
    psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
        --set=svc="$svc" --set=password="$password" <<'SQL'
CREATE ROLE :"svc" LOGIN PASSWORD :'password';
CREATE DATABASE :"svc" OWNER :"svc";
REVOKE ALL ON DATABASE :"svc" FROM PUBLIC;
SQL
done
