#!/usr/bin/env bash
# Validates docker-compose.yml and docker-compose.federation-e2e.yml with every Compose
# implementation found on this machine: Debian's docker-compose (1.29) and/or Compose v2
# (`docker compose`).
#
# For each file and implementation it checks that
#   - `config -q` accepts the file once every required ${VAR:?...} variable has a value
#     (dummy values, exported here only), and
#   - `config -q` refuses the file when none of them is set (secrets really are required).
#
# With no Compose implementation installed it says which package to install and exits 1 when
# CI=true, 0 otherwise.
set -Eeuo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

compose_files=(docker-compose.yml docker-compose.federation-e2e.yml)

implementations=()
if command -v docker-compose >/dev/null 2>&1; then
  implementations+=("docker-compose")
fi
if command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then
  implementations+=("docker compose")
fi

if [ "${#implementations[@]}" -eq 0 ]; then
  echo "check-compose: neither docker-compose nor 'docker compose' is installed; install one with: apt-get install -y docker-compose" >&2
  if [ "${CI:-}" = "true" ]; then
    exit 1
  fi
  echo "check-compose: skipped (not in CI)." >&2
  exit 0
fi

# An empty env file keeps a developer's .env out of the checks.
empty_env="$(mktemp)"
trap 'rm -f "$empty_env"' EXIT

failures=0
for file in "${compose_files[@]}"; do
  # Every variable the file requires: ${NAME:?message} (or ${NAME?message}).
  mapfile -t required < <(grep -oE '\$\{[A-Za-z_][A-Za-z0-9_]*:?\?' "$file" | sed -E 's/^\$\{//; s/:?\?$//' | sort -u)

  for impl in "${implementations[@]}"; do
    read -r -a cmd <<<"$impl"

    # 1. With dummy values for every required variable the file must be valid.
    if ! output="$(
      for name in "${required[@]}"; do export "$name=check-compose-dummy-value"; done
      "${cmd[@]}" --env-file "$empty_env" -f "$file" config -q 2>&1
    )"; then
      echo "FAIL  $impl: $file is not valid:" >&2
      echo "$output" >&2
      failures=$((failures + 1))
      continue
    fi

    # 2. With none of them set it must be refused, naming a missing variable.
    unset_args=()
    for name in "${required[@]}"; do unset_args+=(-u "$name"); done
    if output="$(env "${unset_args[@]}" "${cmd[@]}" --env-file "$empty_env" -f "$file" config -q 2>&1)"; then
      echo "FAIL  $impl: $file was accepted without its ${#required[@]} required secrets" >&2
      failures=$((failures + 1))
      continue
    fi
    if ! grep -qE "$(IFS='|'; echo "${required[*]}")" <<<"$output"; then
      echo "FAIL  $impl: $file was refused without secrets, but not for a missing variable:" >&2
      echo "$output" >&2
      failures=$((failures + 1))
      continue
    fi

    echo "ok    $impl: $file (config -q passes; refused without its ${#required[@]} required variables)"
  done
done

if [ "$failures" -gt 0 ]; then
  echo "check-compose: $failures check(s) failed" >&2
  exit 1
fi
echo "check-compose: all compose files valid"
