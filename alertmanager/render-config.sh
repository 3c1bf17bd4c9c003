#!/bin/sh
# Fills the ${NAME} placeholders of alertmanager.yml and the templates from the environment, with
# the defaults below, into OUT_DIR, and adds the chat receivers that are turned on (chat/*.yml):
#   SLACK_WEBHOOK_URL_FILE, DISCORD_WEBHOOK_URL_FILE, TEAMS_WEBHOOK_URL_FILE  a file holding the URL
#   TELEX_WEBHOOK_URL                                                       the channel webhook URL
# Empty (the default) leaves that chat out. Then, given arguments, runs them (the container entrypoint:
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
# Where the receiver of an email opens traces and logs when no Grafana is set: Jaeger's UI, and
# VictoriaLogs' query API.
: "${JAEGER_URL:=http://127.0.0.1:16686}"
: "${VICTORIALOGS_URL:=http://127.0.0.1:9428}"
# Where the receiver of an email opens the profile an alert carries: the profile collector.
: "${PROFILES_URL:=http://127.0.0.1:3200}"
: "${SLACK_WEBHOOK_URL_FILE:=}"
: "${DISCORD_WEBHOOK_URL_FILE:=}"
: "${TEAMS_WEBHOOK_URL_FILE:=}"
: "${TELEX_WEBHOOK_URL:=}"
# Which stack the emails come from: their first steps are that stack's (docs/runbooks.md).
: "${STACK:=compose}"
TEMPLATES_DIR="$OUT_DIR/templates"
# Alertmanager reads the Telex URL from a file too, so that it never shows in the rendered config.
TELEX_WEBHOOK_URL_FILE="$OUT_DIR/telex-webhook-url"

fail() { echo "render-config: $*" >&2; exit 2; }
NEWLINE='
'
case "$SMTP_REQUIRE_TLS" in true | false) ;; *) fail "SMTP_REQUIRE_TLS must be true or false, got '$SMTP_REQUIRE_TLS'" ;; esac
case "$STACK" in compose | local | kubernetes) ;; *) fail "STACK must be compose, local or kubernetes, got '$STACK'" ;; esac
case "$SMTP_SMARTHOST" in *:[0-9]*) ;; *) fail "SMTP_SMARTHOST must be host:port, got '$SMTP_SMARTHOST'" ;; esac
for name in SMTP_SMARTHOST SMTP_FROM SMTP_AUTH_USERNAME SMTP_AUTH_PASSWORD_FILE ALERT_EMAIL_TO GRAFANA_URL JAEGER_URL VICTORIALOGS_URL PROFILES_URL \
  SLACK_WEBHOOK_URL_FILE DISCORD_WEBHOOK_URL_FILE TEAMS_WEBHOOK_URL_FILE OUT_DIR; do
  value=""
  eval "value=\$$name"
  # Values land inside single-quoted YAML strings and sed replacements: keep them plain. A newline
  # would break both; `{{` would be run as a template by Alertmanager.
  case "$value" in *"$NEWLINE"*) fail "$name must be one line" ;; esac
  case "$value" in *"'"* | *'|'* | *\\* | *'&'*) fail "$name must not contain ' | \\ or &" ;; esac
  case "$value" in *'{{'* | *'}}'*) fail "$name must not contain {{ or }} (Alertmanager would run it as a template)" ;; esac
done

is_url() { case "$1" in http://?* | https://?*) case "$1" in *[[:space:]]*) return 1 ;; esac ;; *) return 1 ;; esac; }

# A chat whose URL file is set must have one that Alertmanager can read and that holds a URL; the
# URL itself is a secret and is never printed.
CHAT_SNIPPETS=""
for chat in slack discord teams; do
  name="$(echo "$chat" | tr '[:lower:]' '[:upper:]')_WEBHOOK_URL_FILE"
  eval "file=\$$name"
  [ -n "$file" ] || continue
  [ -f "$file" ] && [ -r "$file" ] || fail "$name: cannot read '$file' (the file holding the $chat webhook URL)"
  url="$(sed -n '/[^[:space:]]/{s/^[[:space:]]*//;s/[[:space:]]*$//;p;q;}' "$file")"
  is_url "$url" || fail "$name: '$file' must hold the $chat webhook URL (https://...) on its first line"
  CHAT_SNIPPETS="$CHAT_SNIPPETS $chat"
done
if [ -n "$TELEX_WEBHOOK_URL" ]; then
  is_url "$TELEX_WEBHOOK_URL" || fail "TELEX_WEBHOOK_URL must be the channel webhook URL (https://ping.telex.im/v1/webhooks/...)"
  CHAT_SNIPPETS="$CHAT_SNIPPETS telex"
fi

mkdir -p "$TEMPLATES_DIR"
if [ -n "$TELEX_WEBHOOK_URL" ]; then
  (umask 077 && printf '%s\n' "$TELEX_WEBHOOK_URL" > "$TELEX_WEBHOOK_URL_FILE")
fi
substitute() {
  sed -e "s|\${SMTP_SMARTHOST}|$SMTP_SMARTHOST|g" \
    -e "s|\${SMTP_FROM}|$SMTP_FROM|g" \
    -e "s|\${SMTP_AUTH_USERNAME}|$SMTP_AUTH_USERNAME|g" \
    -e "s|\${SMTP_AUTH_PASSWORD_FILE}|$SMTP_AUTH_PASSWORD_FILE|g" \
    -e "s|\${SMTP_REQUIRE_TLS}|$SMTP_REQUIRE_TLS|g" \
    -e "s|\${ALERT_EMAIL_TO}|$ALERT_EMAIL_TO|g" \
    -e "s|\${GRAFANA_URL}|$GRAFANA_URL|g" \
    -e "s|\${JAEGER_URL}|$JAEGER_URL|g" \
    -e "s|\${VICTORIALOGS_URL}|$VICTORIALOGS_URL|g" \
    -e "s|\${PROFILES_URL}|$PROFILES_URL|g" \
    -e "s|\${SLACK_WEBHOOK_URL_FILE}|$SLACK_WEBHOOK_URL_FILE|g" \
    -e "s|\${DISCORD_WEBHOOK_URL_FILE}|$DISCORD_WEBHOOK_URL_FILE|g" \
    -e "s|\${TEAMS_WEBHOOK_URL_FILE}|$TEAMS_WEBHOOK_URL_FILE|g" \
    -e "s|\${TELEX_WEBHOOK_URL_FILE}|$TELEX_WEBHOOK_URL_FILE|g" \
    -e "s|\${STACK}|$STACK|g" \
    -e "s|\${TEMPLATES_DIR}|$TEMPLATES_DIR|g"
}
render() { substitute < "$1" > "$2"; }
for template in "$SRC_DIR"/templates/*.tmpl; do
  render "$template" "$TEMPLATES_DIR/$(basename "$template")"
done
# The enabled chats' configs go where alertmanager.yml has the CHAT_CONFIGS marker. Written aside,
# then moved: Alertmanager never starts on a half-written file, and a refused setting (above,
# before anything is written) leaves no alertmanager.yml at all.
render "$SRC_DIR/alertmanager.yml" "$OUT_DIR/alertmanager.yml.partial"
: > "$OUT_DIR/alertmanager.yml.next"
while IFS= read -r line; do
  # shellcheck disable=SC2016 # the literal marker in alertmanager.yml, not an expansion
  case "$line" in
    *'# ${CHAT_CONFIGS}')
      for chat in $CHAT_SNIPPETS; do substitute < "$SRC_DIR/chat/$chat.yml"; done ;;
    *) printf '%s\n' "$line" ;;
  esac
done < "$OUT_DIR/alertmanager.yml.partial" >> "$OUT_DIR/alertmanager.yml.next"
rm -f "$OUT_DIR/alertmanager.yml.partial"
mv "$OUT_DIR/alertmanager.yml.next" "$OUT_DIR/alertmanager.yml"

if [ "$#" -gt 0 ]; then exec "$@"; fi
