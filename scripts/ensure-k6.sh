#!/usr/bin/env bash
# Prints the path of a k6 v1 binary: $K6, or `k6` on PATH, or .tools/k6/bin/k6, building it there
# with `go install go.k6.io/k6@$K6_VERSION` when Go is available (the Go module proxy is the only
# source of k6 on machines that reach only package registries).
set -euo pipefail
K6_VERSION="${K6_VERSION:-v1.8.1}"
root="$(cd "$(dirname "$0")/.." && pwd)"
local_k6="$root/.tools/k6/bin/k6"

if [ -n "${K6:-}" ]; then echo "$K6"; exit 0; fi
if command -v k6 >/dev/null 2>&1 && k6 version 2>/dev/null | grep -q '^k6 v1\.'; then command -v k6; exit 0; fi
if [ -x "$local_k6" ] && "$local_k6" version 2>/dev/null | grep -q "^k6 $K6_VERSION "; then echo "$local_k6"; exit 0; fi
if ! command -v go >/dev/null 2>&1; then
  echo "ensure-k6: no k6 v1 found and no Go to build it; install k6 (https://grafana.com/docs/k6/) or set K6" >&2
  exit 1
fi
echo "ensure-k6: building k6 $K6_VERSION with go install (a few minutes the first time)" >&2
started=$SECONDS
GOBIN="$root/.tools/k6/bin" GOFLAGS=-mod=mod go install "go.k6.io/k6@$K6_VERSION" >&2
echo "ensure-k6: built $("$local_k6" version) in $((SECONDS - started))s" >&2
echo "$local_k6"
