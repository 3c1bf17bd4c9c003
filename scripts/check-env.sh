#!/usr/bin/env bash
# `make up` runs this after building the images and before starting anything: every value of the
# env file is checked by what reads it, and the first bad one stops make up with one line naming
# the variable, the value and what was expected (the containers would otherwise restart-loop with
# the reason only in `docker compose logs`).
#   scripts/check-env.sh [--before-build] ENV_FILE [COMPOSE COMMAND...]
#                                   (default: docker compose --env-file ENV_FILE)
# --before-build: step 1 only, which needs no image (make up runs it before building, so that a bad
# port is named before the build trips on it).
# 1. Compose reads the file (a port that is no number: Compose's own words, with the variable named).
# 2. Each service of ours checks its configuration in its own container (`--check-config`: the
#    same code that checks it at start; web-auth: PUBLISH_ADDRESS and the stack password file), and
#    Alertmanager's render-config.sh renders its config.
# 3. Every port the stack publishes is free, unless this stack is already running.
set -euo pipefail
before_build=false
if [ "${1:-}" = --before-build ]; then before_build=true; shift; fi
env_file="${1:?usage: scripts/check-env.sh [--before-build] ENV_FILE [COMPOSE COMMAND...]}"
shift
compose=("$@")
[ "${#compose[@]}" -gt 0 ] || compose=(docker compose --env-file "$env_file")
fail() {
  echo "make up: $*" >&2
  exit 2
}
# The variables of the env file whose value is $1, as `NAME` or `NAME and OTHER`.
variables_set_to() {
  local names
  names="$(sed -n "s/^\([A-Z0-9_]*\)=$1\$/\1/p" "$env_file" | paste -sd ' ' -)"
  echo "${names// / and }"
}

if ! config="$("${compose[@]}" config 2>&1)"; then
  reason="$(printf '%s\n' "$config" | tail -n 1)"
  if [[ "$reason" =~ invalid\ (host)?[Pp]ort:?\ ([^ ]+) ]]; then
    value="${BASH_REMATCH[2]}"
    fail "$(variables_set_to "$value")=$value in $env_file: expected a port number (1-65535), or for WEBAPP_PORTS a range like 8080-8082 (Compose: $reason)"
  fi
  fail "$env_file: $reason"
fi
if [ "$before_build" = true ]; then exit 0; fi

# Compose mounts the stack password as a secret: a missing file would stop every check below with
# Docker's words about a bind mount.
password_file="$(sed -n 's/^STACK_PASSWORD_FILE=\(.*\)$/\1/p' "$env_file" | tail -n 1)"
password_file="${password_file:-./secrets/stack_password}"
[ -s "$password_file" ] || fail "STACK_PASSWORD_FILE=$password_file in $env_file: no such file, or it is empty: make up creates one (24 random letters and digits), or write one line of 12 or more letters and digits there"

# Docker would make a directory where a bind-mounted file is missing: name the setting instead.
agent_key_file="$(sed -n 's/^TELEX_AGENT_API_KEY_FILE=\(.*\)$/\1/p' "$env_file" | tail -n 1)"
[ -z "$agent_key_file" ] || [ -s "$agent_key_file" ] ||
  fail "TELEX_AGENT_API_KEY_FILE=$agent_key_file in $env_file: no such file, or it is empty: write the key on its first line, or leave the setting empty"

check() { # RUN ARGUMENTS...: `docker compose run` them in a new container, nothing else started
  local output
  if ! output="$("${compose[@]}" run --rm --no-deps -T "$@" 2>&1)"; then
    # The service's first line says what is wrong and names the service (render-config.sh names
    # itself); the generator adds a hint on a second line.
    fail "$env_file: $(printf '%s\n' "$output" | grep -v '^ *\(Container\|Network\|Volume\) ' | sed -n 1p)"
  fi
}
check webapp --check-config
check request-generator --check-config
check telex-integration --check-config
check web-auth --check-config
check --entrypoint /bin/sh alertmanager /etc/alertmanager/render-config.sh

if [ -z "$("${compose[@]}" ps -q 2>/dev/null)" ]; then
  # address:port of each published port: host_ip comes before published in each entry.
  for published in $(printf '%s\n' "$config" | sed -n -e 's/^ *host_ip: \(.*\)$/\1/p' \
    -e 's/^ *published: "\{0,1\}\([0-9]*\).*$/:\1/p' | paste -sd ' ' - | sed 's/ :/:/g' | tr ' ' '\n' | sort -u); do
    address="${published%%:*}" port="${published##*:}"
    if (exec 3<>"/dev/tcp/$address/$port") 2>/dev/null; then
      names="$(variables_set_to "$port")"
      fail "$address:$port is in use (${names:-a default port of docker-compose.yml}, set in $env_file): stop what listens there, or set another port"
    fi
  done
fi
echo "check-env: $env_file is good"
