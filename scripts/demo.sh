#!/usr/bin/env bash
# Starts the server on the demo organization: seeds ./data/rapport.db on first run, prints the
# admin login and a fresh API token, then serves until Ctrl-C.
set -euo pipefail
bin=${1:-build/release/rapport}
db=${2:-data/rapport.db}
listen=${3:-127.0.0.1:8080}
dir=$(dirname "$db")
mkdir -p "$dir"
creds="$dir/demo-credentials.txt"
if [ ! -f "$db" ]; then
  echo "Seeding the demo organization into $db (takes a minute the first time)..."
  "$bin" seed --demo --db "$db" > "$creds.tmp"
  mv "$creds.tmp" "$creds"
fi
admin_email=$(sed -n 's/^admin_email=//p' "$creds" 2>/dev/null || true)
admin_password=$(sed -n 's/^admin_password=//p' "$creds" 2>/dev/null || true)
token=$("$bin" token create --db "$db" --email "${admin_email:-admin@rapport-demo.example}" --description "make demo")
cat <<MSG

  Rapport is starting at http://$listen
  Admin login:  ${admin_email:-admin@rapport-demo.example}  /  ${admin_password:-(see $creds)}
  API token:    $token
  Try:          curl -u '${admin_email:-admin@rapport-demo.example}/token:$token' http://$listen/api/v2/tickets.json?per_page=5

MSG
exec "$bin" serve --db "$db" --listen "$listen" --web-root web/dist
