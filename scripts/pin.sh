#!/usr/bin/env bash
# Prints the version of NAME pinned in docker-compose.yml, the one place versions are set:
#   prometheus, alertmanager, k6, grafana (image tags), node (NODE_IMAGE), compose (x-compose-cli),
#   kubernetes, etcd, prometheus-operator (x-kubernetes, x-etcd, x-prometheus-operator), sloth (x-sloth),
#   jaeger, victoria-logs (image tags), pint, kubeconform (x-pint, x-kubeconform: linters).
# Scripts and tests read versions through this (or packages/stack/src/versions.ts), never a copy of them.
set -euo pipefail
compose_file="$(cd "$(dirname "$0")/.." && pwd)/docker-compose.yml"

value() { # the first line matching the pattern, with the pattern's prefix removed (T: no match, next line)
  sed -n -E "s#^[[:space:]]*$1([^[:space:]\"']+).*#\\1#; T; p; q" "$compose_file"
}
case "${1:-}" in
  prometheus) version="$(value 'image: prom/prometheus:v')" ;;
  alertmanager) version="$(value 'image: prom/alertmanager:v')" ;;
  k6) version="$(value 'image: grafana/k6:')" ;;
  grafana) version="$(value 'image: grafana/grafana:')" ;;
  node) version="$(value 'NODE_IMAGE: node:')"; version="${version%%-*}" ;;
  compose) version="$(value 'x-compose-cli: v')" ;;
  kubernetes) version="$(value 'x-kubernetes: v')" ;;
  etcd) version="$(value 'x-etcd: v')" ;;
  prometheus-operator) version="$(value 'x-prometheus-operator: v')" ;;
  sloth) version="$(value 'x-sloth: v')" ;;
  pint) version="$(value 'x-pint: v')" ;;
  kubeconform) version="$(value 'x-kubeconform: v')" ;;
  jaeger) version="$(value 'image: jaegertracing/jaeger:')" ;;
  victoria-logs) version="$(value 'image: victoriametrics/victoria-logs:v')" ;;
  *) echo "usage: scripts/pin.sh prometheus|alertmanager|k6|grafana|node|compose|kubernetes|etcd|prometheus-operator|sloth|jaeger|victoria-logs|pint|kubeconform" >&2; exit 2 ;;
esac
if ! [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
  echo "pin: no x.y.z version for '$1' in docker-compose.yml (found '$version')" >&2
  exit 1
fi
echo "$version"
