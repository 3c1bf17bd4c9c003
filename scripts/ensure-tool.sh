#!/usr/bin/env bash
# Prints the path of TOOL at the version pinned in docker-compose.yml (scripts/pin.sh):
#   prometheus promtool alertmanager amtool k6 docker-compose
# 1. $PROMETHEUS, $PROMTOOL, $ALERTMANAGER, $AMTOOL, $K6 or $DOCKER_COMPOSE when set (your choice;
#    the version test still compares it with the pin);
# 2. TOOL on PATH (for docker-compose: the `docker compose` plugin too) when it reports the pin;
# 3. .tools/<name>/<version>/bin/TOOL, built there from its Go module when missing: the Go module
#    proxy is the only source of these binaries on machines that reach only package registries.
# Builds are cached by version, locked against a parallel run, and print how long they took.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tool="${1:-}"
say() { echo "ensure-tool: $*" >&2; }

case "$tool" in
  prometheus | promtool) name=prometheus ;;
  alertmanager | amtool) name=alertmanager ;;
  k6) name=k6 ;;
  docker-compose) name=compose ;;
  *) echo "usage: scripts/ensure-tool.sh prometheus|promtool|alertmanager|amtool|k6|docker-compose" >&2; exit 2 ;;
esac
version="$("$root/scripts/pin.sh" "$name")"
override_var="$(echo "$tool" | tr 'a-z-' 'A-Z_')"

# The first x.y.z a binary prints about itself (`prometheus --version`, `k6 version`, ...).
reported_version() {
  local output
  output="$("$@" 2>&1 | head -n 3)" || true
  grep -oE '[0-9]+\.[0-9]+\.[0-9]+' <<<"$output" | head -n 1
}
version_args() { case "$tool" in k6 | docker-compose) echo version ;; *) echo --version ;; esac; }

if [ -n "${!override_var:-}" ]; then echo "${!override_var}"; exit 0; fi

if found="$(command -v "$tool" 2>/dev/null)" && [ "$(reported_version "$found" "$(version_args)")" = "$version" ]; then
  echo "$found"; exit 0
fi
if [ "$tool" = docker-compose ] && [ "$(reported_version docker compose version)" = "$version" ]; then
  # The plugin binary also runs on its own, as `docker-compose`.
  for dir in "${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins" /usr/local/lib/docker/cli-plugins \
    /usr/local/libexec/docker/cli-plugins /usr/lib/docker/cli-plugins /usr/libexec/docker/cli-plugins; do
    if [ -x "$dir/docker-compose" ]; then echo "$dir/docker-compose"; exit 0; fi
  done
fi

prefix="$root/.tools/$name/$version"
binary="$prefix/bin/$tool"
if [ -x "$binary" ]; then echo "$binary"; exit 0; fi

if ! command -v go >/dev/null 2>&1; then
  say "$tool $version is not on PATH and there is no Go to build it: install Go, or set $override_var"
  exit 1
fi
mkdir -p "$root/.tools"
exec 9>"$root/.tools/.$name.lock"
flock 9
if [ -x "$binary" ]; then echo "$binary"; exit 0; fi # built by a parallel run while we waited

work="$(mktemp -d "$root/.tools/.build-$name-XXXXXX")"
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
started=$SECONDS
# Static binaries (no cgo): they run on any Linux, the stand-in images' included.
export GOFLAGS=-mod=mod GOWORK=off CGO_ENABLED=0
# Compose needs a newer Go than some machines have: let Go fetch that toolchain from the module proxy.
export GOTOOLCHAIN="${GOTOOLCHAIN_FOR_TOOLS:-auto}"

# Downloads module@version and copies it to $work/src, writable (builds run inside the module so that
# its own go.mod, replace directives included, applies; `go install` refuses replace directives).
fetch_module() {
  local dir
  dir="$(go mod download -json "$1@$2" | sed -n -E 's/^[[:space:]]*"Dir": "(.*)",?$/\1/p')"
  [ -d "$dir" ] || { say "go mod download $1@$2 failed"; exit 1; }
  cp -r "$dir" "$work/src"
  chmod -R u+w "$work/src"
}
# The version information Prometheus' tools print, as their release builds set it (.promu.yml).
prometheus_ldflags() {
  local v=github.com/prometheus/common/version
  echo "-s -w -X $v.Version=$version -X $v.Revision=$1 -X $v.Branch=HEAD -X $v.BuildUser=ensure-tool -X $v.BuildDate=$(date -u +%Y%m%d-%H:%M:%S)"
}

say "building $name $version from its Go module into .tools/$name/$version (a few minutes the first time)"
mkdir -p "$work/bin"
case "$name" in
  prometheus)
    # Prometheus 3.X.Y is published to the module proxy as v0.3XX.Y.
    IFS=. read -r major minor patch <<<"$version"
    module_version="v0.$((major * 100 + minor)).$patch"
    fetch_module github.com/prometheus/prometheus "$module_version"
    # Only the service discovery the stack uses: files and HTTP (always in), DNS (Compose) and
    # Kubernetes; the other SDs' client modules are large, and the proxy refuses Nomad's.
    (cd "$work/src" && go build -trimpath -tags netgo,remove_all_sd,enable_dns_sd,enable_kubernetes_sd \
      -ldflags "$(prometheus_ldflags "$module_version")" -o "$work/bin/" ./cmd/prometheus ./cmd/promtool)
    # The example configuration the official image carries, for the stand-in image (compose test).
    mkdir -p "$work/share" && cp "$work/src/documentation/examples/prometheus.yml" "$work/share/"
    ;;
  alertmanager)
    fetch_module github.com/prometheus/alertmanager "v$version"
    # The web UI is embedded from ui/app/dist, which the module does not ship: it is compiled by Elm,
    # whose compiler and packages come from outside the package registries. In its place, a page
    # that says so; the API (/api/v2) and everything else are the release's.
    mkdir -p "$work/src/ui/app/dist"
    cp "$root/scripts/alertmanager-no-ui.html" "$work/src/ui/app/dist/index.html"
    (cd "$work/src" && go build -trimpath -tags netgo -ldflags "$(prometheus_ldflags "v$version")" \
      -o "$work/bin/" ./cmd/alertmanager ./cmd/amtool)
    mkdir -p "$work/share" && cp "$work/src/examples/ha/alertmanager.yml" "$work/share/"
    ;;
  k6)
    GOBIN="$work/bin" go install "go.k6.io/k6@v$version" >&2
    ;;
  compose)
    fetch_module github.com/docker/compose/v5 "v$version"
    (cd "$work/src" && go build -trimpath -ldflags "-s -w -X github.com/docker/compose/v5/internal.Version=v$version" \
      -o "$work/bin/docker-compose" ./cmd)
    ;;
esac
mkdir -p "$(dirname "$prefix")"
rm -rf "$prefix"
mkdir -p "$prefix"
mv "$work/bin" "$prefix/bin"
if [ -d "$work/share" ]; then mv "$work/share" "$prefix/share"; fi
say "built $name $version in $((SECONDS - started)) s: $(ls "$prefix/bin" | tr '\n' ' ')"
echo "$binary"
