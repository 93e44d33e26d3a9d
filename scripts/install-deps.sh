#!/usr/bin/env bash
# Installs everything sluice's build and tests need on Debian 12, idempotently.
# Fast path: when every package is already installed (dpkg), apt is not touched at all.
# Then the npm packages of the integration tests' driver clients (tests/integration/clients,
# `npm ci` from its package-lock.json) when their node_modules is missing or older than the lock.
# Runs as root, or through sudo otherwise. Services that the postgresql/pgbouncer packages start
# on install (5432/6432) are stopped and disabled right away: tests run their own PostgreSQL.
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build g++ clang clang-format clang-tidy libclang-rt-14-dev
  # libraries
  libboost-dev libboost-filesystem-dev libspdlog-dev libcli11-dev libssl-dev libpq-dev
  libgtest-dev libgmock-dev googletest
  # integration tests and tools
  postgresql postgresql-client pgbouncer python3 python3-psycopg procps iproute2 util-linux
  valgrind shellcheck
  # promtool (Debian package prometheus): tests check /metrics and the alert rules with it
  prometheus
  # prepared-statement tests with real drivers (tests/integration/prepared_statements_*.sh):
  # JDBC run as a single-file program (`java File.java` needs the JDK's jdk.compiler) and
  # node-postgres from npm (tests/integration/clients/package.json)
  libpostgresql-jdbc-java default-jdk-headless nodejs
  # packages (scripts/package.sh, tests/packaging): rpmbuild, lintian, pkg-config
  rpm lintian pkgconf
)

is_installed() {
  [[ $(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null) == installed ]]
}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
clients=$root/tests/integration/clients

# npm ci for the test clients when node_modules is missing or older than package-lock.json.
install_npm_clients() {
  if [[ -d $clients/node_modules/pg && ! $clients/package-lock.json -nt $clients/node_modules/.package-lock.json ]]; then
    echo "install-deps: npm packages of tests/integration/clients already installed"
    return 0
  fi
  echo "install-deps: npm ci in tests/integration/clients"
  (cd "$clients" && npm ci --no-audit --no-fund)
}

missing=()
for p in "${PACKAGES[@]}"; do
  is_installed "$p" || missing+=("$p")
done
# npm: Debian's package, unless a nodejs that ships its own npm (and conflicts with Debian's) is
# already there.
command -v npm >/dev/null 2>&1 || missing+=(npm)
if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#PACKAGES[@]} packages already installed"
  install_npm_clients
  exit 0
fi

SUDO=()
if ((EUID != 0)); then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    echo "install-deps: need root or sudo to install: ${missing[*]}" >&2
    exit 1
  fi
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive

# Keep package scripts from starting services while installing (Debian's policy-rc.d hook).
policy=/usr/sbin/policy-rc.d
created_policy=0
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\n# added by sluice scripts/install-deps.sh during apt-get install\nexit 101\n' |
    "${SUDO[@]}" tee "$policy" >/dev/null
  "${SUDO[@]}" chmod 0755 "$policy"
  created_policy=1
fi
remove_policy() {
  if ((created_policy)); then
    "${SUDO[@]}" rm -f "$policy"
  fi
}
trap remove_policy EXIT

"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"

# Stop and disable whatever the postgresql/pgbouncer packages may have started or enabled.
if command -v pg_lsclusters >/dev/null 2>&1; then
  while read -r ver cluster _port status _rest; do
    if [[ $status == online* ]]; then
      echo "install-deps: stopping PostgreSQL cluster $ver/$cluster"
      "${SUDO[@]}" pg_ctlcluster "$ver" "$cluster" stop || true
    fi
  done < <(pg_lsclusters --no-header 2>/dev/null || true)
fi
for svc in postgresql pgbouncer; do
  if command -v service >/dev/null 2>&1; then
    "${SUDO[@]}" service "$svc" stop >/dev/null 2>&1 || true
  fi
  if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null 2>&1; then
    "${SUDO[@]}" systemctl disable --now "$svc" >/dev/null 2>&1 || true
  fi
  if command -v update-rc.d >/dev/null 2>&1 && [[ -e /etc/init.d/$svc ]]; then
    "${SUDO[@]}" update-rc.d "$svc" disable >/dev/null 2>&1 || true
  fi
done
if command -v ss >/dev/null 2>&1 && ss -Hltn '( sport = :5432 or sport = :6432 )' | grep -q .; then
  echo "install-deps: warning: something still listens on 5432 or 6432:" >&2
  ss -ltnp '( sport = :5432 or sport = :6432 )' >&2 || true
fi
install_npm_clients
echo "install-deps: done"
