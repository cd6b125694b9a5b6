#!/usr/bin/env bash
# Creates the schemas and least-privilege roles of the Mosaic services (infra/postgres/roles.sql).
#
# The postgres image's entrypoint runs this on first start (empty data directory), connected
# over the local socket as $POSTGRES_USER to $POSTGRES_DB. It is idempotent, so it also applies
# a password rotation or repairs the grants on a running database:
#   docker compose exec postgres /docker-entrypoint-initdb.d/10-schemas-and-roles.sh
#
# Environment:
#   MOSAIC_CA_DB_PASSWORD, MOSAIC_GRANTS_DB_PASSWORD,
#   MOSAIC_AUDIT_DB_PASSWORD, MOSAIC_GATEWAY_DB_PASSWORD   required, at least 16 characters
#   MOSAIC_DB_ROLE_PREFIX                                   role name prefix (default mosaic_)
#   POSTGRES_USER, POSTGRES_DB                              set by the postgres image
#
# The passwords go to psql through its environment (\getenv), never through its command line,
# and nothing here prints them. Works whether the entrypoint executes or sources this file.
set -Eeo pipefail

mosaic_apply_roles() {
  local here roles_sql var value
  local -a missing=() short=()
  here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
  roles_sql="$here/roles.sql"

  for var in MOSAIC_CA_DB_PASSWORD MOSAIC_GRANTS_DB_PASSWORD MOSAIC_AUDIT_DB_PASSWORD MOSAIC_GATEWAY_DB_PASSWORD; do
    value="${!var:-}"
    if [ -z "$value" ]; then
      missing+=("$var")
    elif [ "${#value}" -lt 16 ]; then
      short+=("$var")
    fi
  done
  value=""
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "10-schemas-and-roles.sh: missing ${missing[*]} in the environment of the postgres container." >&2
    echo "  Set them (see infra/compose.env.example; generate each with: openssl rand -base64 32 | tr '+/' '-_' | tr -d '='), then remove the half-initialised volume (docker compose down -v) and start again." >&2
    exit 1
  fi
  if [ "${#short[@]}" -gt 0 ]; then
    echo "10-schemas-and-roles.sh: ${short[*]} must be at least 16 characters long (generate with: openssl rand -base64 32 | tr '+/' '-_' | tr -d '=')." >&2
    exit 1
  fi
  if [ ! -r "$roles_sql" ]; then
    echo "10-schemas-and-roles.sh: $roles_sql is missing; mount the whole infra/postgres directory." >&2
    exit 1
  fi

  psql -v ON_ERROR_STOP=1 --no-psqlrc \
    --username "${POSTGRES_USER:-postgres}" \
    --dbname "${POSTGRES_DB:-${POSTGRES_USER:-postgres}}" \
    -v prefix="${MOSAIC_DB_ROLE_PREFIX:-mosaic_}" \
    -v db="${POSTGRES_DB:-${POSTGRES_USER:-postgres}}" <<EOSQL
\\getenv ca_password MOSAIC_CA_DB_PASSWORD
\\getenv grants_password MOSAIC_GRANTS_DB_PASSWORD
\\getenv audit_password MOSAIC_AUDIT_DB_PASSWORD
\\getenv gateway_password MOSAIC_GATEWAY_DB_PASSWORD
\\i '$roles_sql'
EOSQL
}

mosaic_apply_roles
