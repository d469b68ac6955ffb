#!/usr/bin/env bash
# Installs everything the build, the tests and the demo need, from Debian packages only.
# Idempotent: it asks apt only for what is missing, so a second run takes a second.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config ccache
  libboost-dev libboost-system1.74-dev nlohmann-json3-dev libsqlite3-dev sqlite3 libsodium-dev
  libspdlog-dev libfmt-dev libcli11-dev libtomlplusplus-dev libexpected-dev
  libhowardhinnant-date-dev libgtest-dev libgmock-dev libbenchmark-dev
  libgmime-3.0-dev libxml2-dev libcurl4-openssl-dev libcmark-gfm-dev libcmark-gfm-extensions-dev clang libclang-rt-dev libgoogle-perftools-dev
  dovecot-core dovecot-imapd python3-aiosmtpd openssl
  nodejs npm chromium wrk curl ca-certificates
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

# npm may come from another origin on some machines (nodesource ships it inside nodejs).
if command -v npm >/dev/null 2>&1; then
  missing=("${missing[@]/npm/}")
fi
if command -v node >/dev/null 2>&1; then
  missing=("${missing[@]/nodejs/}")
fi
clean=()
for p in "${missing[@]}"; do [ -n "$p" ] && clean+=("$p"); done

if [ "${#clean[@]}" -gt 0 ]; then
  echo "install-deps: installing ${clean[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${clean[@]}" >/dev/null
fi

# The web UI and the black-box tests have their own npm dependencies, pinned by lock files.
for dir in web tests; do
  if [ -f "$dir/package-lock.json" ]; then
    if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
      (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    fi
  fi
done
