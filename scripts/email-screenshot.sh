#!/usr/bin/env bash
# Takes docs/images/alert-email.png: the newest email in the running stack's maildev, as its web UI
# shows it, with headless Chromium (Debian's chromium package). Start the stack (make up-local),
# make InstanceDown fire (type `kill`), wait for the email, then run this.
#   scripts/email-screenshot.sh [MAILDEV_URL] [OUTPUT]
set -euo pipefail
maildev="${1:-http://127.0.0.1:${MAILDEV_PORT:-1080}}"
output="${2:-$(cd "$(dirname "$0")/.." && pwd)/docs/images/alert-email.png}"
command -v chromium >/dev/null || { echo "email-screenshot: needs chromium (apt-get install chromium)" >&2; exit 2; }
emails="$(curl -fsS "$maildev/email")" || { echo "email-screenshot: no maildev answers at $maildev" >&2; exit 2; }
id="$(node -e 'const e=JSON.parse(process.argv[1]); if (e.length) console.log(e.at(-1).id)' "$emails")"
[ -n "$id" ] || { echo "email-screenshot: maildev at $maildev holds no email yet" >&2; exit 2; }
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
# The flags keep Chromium off the network it cannot reach and out of the user's profile.
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
  --disable-component-update --disable-sync --user-data-dir="$profile" --hide-scrollbars \
  --window-size=1100,720 --virtual-time-budget=5000 --screenshot="$output" "$maildev/#/email/$id" 2>/dev/null
echo "$output"
