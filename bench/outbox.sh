#!/usr/bin/env bash
# Outbox delivery throughput against a local SMTP server, with its baseline (bench/outbox.mjs).
# Rewrites the section of docs/benchmarks.md between <!-- outbox:begin --> and <!-- outbox:end -->.
#
#   bash bench/outbox.sh [path/to/rapport]
#
# Environment: OUTBOX_MESSAGES [3000], OUTBOX_CONNECTIONS [1,4], BENCH_OUT [docs/benchmarks.md].
# Needs /usr/bin/python3 with aiosmtpd and the sqlite3 CLI (scripts/install-deps.sh). Everything
# stays on 127.0.0.1; each run is bounded (300 s).
set -Eeuo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
exec node bench/outbox.mjs --bin "${1:-build/release/rapport}" --messages "${OUTBOX_MESSAGES:-3000}" \
  --connections "${OUTBOX_CONNECTIONS:-1,4}" --out "${BENCH_OUT:-docs/benchmarks.md}"
