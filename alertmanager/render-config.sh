#!/bin/sh
# Fills the ${NAME} placeholders of alertmanager.yml and the templates from the environment, with
# the defaults below, into OUT_DIR. Then, given arguments, runs them (the container entrypoint:
# render-config.sh /bin/alertmanager --config.file=/tmp/alertmanager/alertmanager.yml ...).
# POSIX sh and sed only: it runs in the busybox-based Alertmanager image.
set -eu

SRC_DIR="${SRC_DIR:-$(dirname "$0")}"
OUT_DIR="${OUT_DIR:-/tmp/alertmanager}"
: "${SMTP_SMARTHOST:=maildev:1025}"
: "${SMTP_FROM:=alertmanager@fastify-observability.local}"
: "${SMTP_AUTH_USERNAME:=}"
: "${SMTP_AUTH_PASSWORD_FILE:=/run/secrets/smtp_password}"
: "${SMTP_REQUIRE_TLS:=false}"
: "${ALERT_EMAIL_TO:=oncall@example.com}"
# Empty (set, but to nothing) where no Grafana runs: the emails then leave out links into it.
: "${GRAFANA_URL=http://127.0.0.1:3000}"
TEMPLATES_DIR="$OUT_DIR/templates"

fail() { echo "render-config: $*" >&2; exit 2; }
case "$SMTP_REQUIRE_TLS" in true | false) ;; *) fail "SMTP_REQUIRE_TLS must be true or false, got '$SMTP_REQUIRE_TLS'" ;; esac
case "$SMTP_SMARTHOST" in *:[0-9]*) ;; *) fail "SMTP_SMARTHOST must be host:port, got '$SMTP_SMARTHOST'" ;; esac
for name in SMTP_SMARTHOST SMTP_FROM SMTP_AUTH_USERNAME SMTP_AUTH_PASSWORD_FILE ALERT_EMAIL_TO GRAFANA_URL; do
  eval "value=\$$name"
  # Values land inside single-quoted YAML strings and sed replacements: keep them plain.
  case "$value" in *"'"* | *'|'* | *'\'* | *'&'*) fail "$name must not contain ' | \\ or &" ;; esac
done

mkdir -p "$TEMPLATES_DIR"
render() {
  sed -e "s|\${SMTP_SMARTHOST}|$SMTP_SMARTHOST|g" \
    -e "s|\${SMTP_FROM}|$SMTP_FROM|g" \
    -e "s|\${SMTP_AUTH_USERNAME}|$SMTP_AUTH_USERNAME|g" \
    -e "s|\${SMTP_AUTH_PASSWORD_FILE}|$SMTP_AUTH_PASSWORD_FILE|g" \
    -e "s|\${SMTP_REQUIRE_TLS}|$SMTP_REQUIRE_TLS|g" \
    -e "s|\${ALERT_EMAIL_TO}|$ALERT_EMAIL_TO|g" \
    -e "s|\${GRAFANA_URL}|$GRAFANA_URL|g" \
    -e "s|\${TEMPLATES_DIR}|$TEMPLATES_DIR|g" \
    "$1" > "$2"
}
render "$SRC_DIR/alertmanager.yml" "$OUT_DIR/alertmanager.yml"
for template in "$SRC_DIR"/templates/*.tmpl; do
  render "$template" "$TEMPLATES_DIR/$(basename "$template")"
done

if [ "$#" -gt 0 ]; then exec "$@"; fi
