#!/usr/bin/env bash
# Prints the path of TOOL at the version pinned in docker-compose.yml (scripts/pin.sh):
#   prometheus promtool alertmanager amtool docker-compose
#   etcd kube-apiserver kubectl prometheus-operator   (make k8s-test)
#   sloth                                             (make slos: the SLO rules)
#   jaeger victoria-logs                              (traces and logs)
#   pint kubeconform                                  (linters of make test: rules, manifests)
# 1. $PROMETHEUS, $PROMTOOL, $ALERTMANAGER, $AMTOOL or $DOCKER_COMPOSE when set (your choice;
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
  docker-compose) name=compose ;;
  kube-apiserver | kubectl) name=kubernetes ;;
  etcd) name=etcd ;;
  prometheus-operator) name=prometheus-operator ;;
  sloth) name=sloth ;;
  jaeger) name=jaeger ;;
  victoria-logs) name=victoria-logs ;;
  pint) name=pint ;;
  kubeconform) name=kubeconform ;;
  *) echo "usage: scripts/ensure-tool.sh prometheus|promtool|alertmanager|amtool|docker-compose|etcd|kube-apiserver|kubectl|prometheus-operator|sloth|jaeger|victoria-logs|pint|kubeconform" >&2; exit 2 ;;
esac
version="$("$root/scripts/pin.sh" "$name")"
override_var="$(echo "$tool" | tr 'a-z-' 'A-Z_')"

# The first x.y.z a binary prints about itself (`prometheus --version`, `docker-compose version`, ...).
reported_version() {
  local output
  output="$("$@" 2>&1)" || true
  [[ "$output" =~ [0-9]+\.[0-9]+\.[0-9]+ ]] && echo "${BASH_REMATCH[0]}"
}
version_args() {
  case "$tool" in docker-compose | sloth | jaeger | pint) echo version ;; kubectl) echo "version --client" ;; victoria-logs) echo -version ;; kubeconform) echo -v ;; *) echo --version ;; esac
}

if [ -n "${!override_var:-}" ]; then echo "${!override_var}"; exit 0; fi

read -ra version_arguments <<<"$(version_args)"
if found="$(command -v "$tool" 2>/dev/null)" && [ "$(reported_version "$found" "${version_arguments[@]}")" = "$version" ]; then
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
  # A binary built inside its module names it "(devel)": this file names its version, for the
  # licence test (test/licences.test.ts).
  echo "$1 $2" >"$work/main-module"
}
# The version information Prometheus' tools print, as their release builds set it (.promu.yml).
prometheus_ldflags() {
  local v=github.com/prometheus/common/version
  echo "-s -w -X $v.Version=$version -X $v.Revision=$1 -X $v.Branch=HEAD -X $v.BuildUser=ensure-tool -X $v.BuildDate=$(date -u +%Y%m%d-%H:%M:%S)"
}

# Go's chatter (go: downloading/added ..., a line a module) goes to a log that is printed only when
# the step fails, so that CI output shows the steps and their times.
quietly() {
  "$@" >>"$work/go.log" 2>&1 || { cat "$work/go.log" >&2; say "failed: $*"; exit 1; }
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
    (cd "$work/src" && quietly go build -trimpath -tags netgo,remove_all_sd,enable_dns_sd,enable_kubernetes_sd \
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
    (cd "$work/src" && quietly go build -trimpath -tags netgo -ldflags "$(prometheus_ldflags "v$version")" \
      -o "$work/bin/" ./cmd/alertmanager ./cmd/amtool)
    mkdir -p "$work/share" && cp "$work/src/examples/ha/alertmanager.yml" "$work/share/"
    ;;
  compose)
    fetch_module github.com/docker/compose/v5 "v$version"
    (cd "$work/src" && quietly go build -trimpath -ldflags "-s -w -X github.com/docker/compose/v5/internal.Version=v$version" \
      -o "$work/bin/docker-compose" ./cmd)
    ;;
  etcd)
    # etcd's own main package lives in a module whose replace directives point into its repository;
    # a wrapper module calling the server's entry point builds from the published modules.
    mkdir -p "$work/src" && cd "$work/src"
    printf 'package main\n\nimport (\n\t"os"\n\n\t"go.etcd.io/etcd/server/v3/etcdmain"\n)\n\nfunc main() { etcdmain.Main(os.Args) }\n' >main.go
    quietly go mod init fastify-observability-stack.local/etcd
    quietly go get "go.etcd.io/etcd/server/v3@v$version"
    quietly go mod tidy
    quietly go build -trimpath -ldflags "-s -w" -o "$work/bin/etcd" .
    ;;
  kubernetes)
    # k8s.io/kubernetes points its staging modules (k8s.io/api, client-go, ...) at ./staging, which the
    # module proxy does not carry: a wrapper module replaces each with its published v0.MINOR.PATCH
    # (every one in the release's go.mod but sample-cli-plugin and sample-controller, which the
    # proxy refuses and nothing here needs). kube-apiserver needs about 3 GB of memory to link.
    IFS=. read -r major minor patch <<<"$version"
    staging_version="v0.$minor.$patch"
    kubernetes_gomod="$(go mod download -json "k8s.io/kubernetes@v$version" | sed -n -E 's/^[[:space:]]*"GoMod": "(.*)",?$/\1/p')"
    [ -f "$kubernetes_gomod" ] || { say "go mod download k8s.io/kubernetes@v$version failed"; exit 1; }
    mkdir -p "$work/src/kube-apiserver" "$work/src/kubectl" && cd "$work/src"
    quietly go mod init fastify-observability-stack.local/kubernetes
    sed -n -E 's#^[[:space:]]*(k8s\.io/[a-z0-9-]+) => \./staging/.*#\1#p' "$kubernetes_gomod" |
      grep -v -E '^k8s\.io/(sample-cli-plugin|sample-controller)$' |
      while read -r staged; do go mod edit -replace "$staged=$staged@$staging_version"; done
    go mod edit -require "k8s.io/kubernetes@v$version"
    cat >kube-apiserver/main.go <<'GO'
package main

import (
	"os"

	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"
	_ "k8s.io/component-base/metrics/prometheus/clientgo"
	_ "k8s.io/component-base/metrics/prometheus/version"
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
)

func main() { os.Exit(cli.Run(app.NewAPIServerCommand())) }
GO
    cat >kubectl/main.go <<'GO'
package main

import (
	"k8s.io/component-base/cli"
	"k8s.io/kubectl/pkg/cmd"
	"k8s.io/kubectl/pkg/cmd/util"
)

func main() {
	if err := cli.RunNoErrOutput(cmd.NewDefaultKubectlCommand()); err != nil {
		util.CheckErr(err)
	}
}
GO
    quietly go mod tidy
    v=k8s.io/component-base/version
    ldflags="-s -w -X $v.gitVersion=v$version -X $v.gitMajor=$major -X $v.gitMinor=$minor -X $v.gitTreeState=clean"
    quietly go build -trimpath -ldflags "$ldflags" -o "$work/bin/" ./kube-apiserver ./kubectl
    ;;
  prometheus-operator)
    # Built inside its module (its internal/ packages refuse a wrapper), with the two nested modules
    # its go.mod replaces from ./pkg copied in from the proxy. The CRDs come along for the test.
    fetch_module github.com/prometheus-operator/prometheus-operator "v$version"
    for nested in pkg/apis/monitoring pkg/client; do
      dir="$(go mod download -json "github.com/prometheus-operator/prometheus-operator/$nested@v$version" |
        sed -n -E 's/^[[:space:]]*"Dir": "(.*)",?$/\1/p')"
      [ -d "$dir" ] || { say "go mod download of $nested@v$version failed"; exit 1; }
      rm -rf "$work/src/$nested"
      mkdir -p "$(dirname "$work/src/$nested")"
      cp -r "$dir" "$work/src/$nested"
      chmod -R u+w "$work/src/$nested"
    done
    (cd "$work/src" && quietly go build -trimpath -ldflags "$(prometheus_ldflags "v$version")" \
      -o "$work/bin/prometheus-operator" ./cmd/operator)
    mkdir -p "$work/share" && cp -r "$work/src/example/prometheus-operator-crd" "$work/share/crds"
    ;;
  sloth)
    fetch_module github.com/slok/sloth "v$version"
    # The version its release builds set (scripts/build/bin/build-raw.sh): it lands in the rules' labels.
    (cd "$work/src" && quietly go build -trimpath -ldflags "-s -w -X github.com/slok/sloth/internal/info.Version=v$version" \
      -o "$work/bin/sloth" ./cmd/sloth)
    ;;
  jaeger)
    # Jaeger 2.X.Y is tagged in its module as v1.(X+63).Y (2.12.0 is v1.75.0: one release, two tags).
    IFS=. read -r major minor patch <<<"$version"
    fetch_module github.com/jaegertracing/jaeger "v1.$((minor + 63)).$patch"
    # The UI is embedded from a build of jaeger-ui (npm, not in the module): the module's placeholder
    # page stays; the query API, which Grafana reads, is the release's. The version as its Makefile sets it.
    (cd "$work/src" && quietly go build -trimpath -ldflags "-s -w -X github.com/jaegertracing/jaeger/internal/version.latestVersion=v$version" \
      -o "$work/bin/jaeger" ./cmd/jaeger)
    ;;
  victoria-logs)
    fetch_module github.com/VictoriaMetrics/VictoriaLogs "v$version"
    (cd "$work/src" && quietly go build -trimpath -ldflags "-s -w -X github.com/VictoriaMetrics/VictoriaMetrics/lib/buildinfo.Version=victoria-logs-v$version" \
      -o "$work/bin/victoria-logs" ./app/victoria-logs)
    ;;
  pint)
    fetch_module github.com/cloudflare/pint "v$version"
    # The version its release builds set (.goreleaser.yml).
    (cd "$work/src" && quietly go build -trimpath -ldflags "-s -w -X main.version=v$version -X main.commit=v$version" \
      -o "$work/bin/pint" ./cmd/pint)
    ;;
  kubeconform)
    fetch_module github.com/yannh/kubeconform "v$version"
    (cd "$work/src" && quietly go build -trimpath -ldflags "-s -w -X main.version=v$version" \
      -o "$work/bin/kubeconform" ./cmd/kubeconform)
    # Its script that turns CRDs into the JSON schemas it reads (the operator's, for the linter test).
    mkdir -p "$work/share" && cp "$work/src/scripts/openapi2jsonschema.py" "$work/share/"
    ;;
esac
mkdir -p "$(dirname "$prefix")"
rm -rf "$prefix"
mkdir -p "$prefix"
mv "$work/bin" "$prefix/bin"
if [ -d "$work/share" ]; then mv "$work/share" "$prefix/share"; fi
if [ -f "$work/main-module" ]; then mv "$work/main-module" "$prefix/main-module"; fi
built=("$prefix"/bin/*)
say "built $name $version in $((SECONDS - started)) s: ${built[*]##*/}"
echo "$binary"
