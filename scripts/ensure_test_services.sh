#!/usr/bin/env bash
# `make test`'s set-up (and so CI's): make sure Chromium is installed and PostgreSQL and Redis answer.
#
# Installs the missing Debian packages when it can (root and apt-get), starts a local PostgreSQL or Redis that
# does not answer, and otherwise stops at once with one line saying what to install or start. Prints nothing and
# takes a few milliseconds when everything is there already. Hosts and ports come from DXFLOW_TEST_PG_URL and
# DXFLOW_TEST_REDIS_URL (as in tests/conftest.py); a service on another host is never started from here.
set -euo pipefail

say() { echo "make test: $*" >&2; }
host_port() {  # URL default-port → "host port"
  local rest=${1#*://}
  rest=${rest#*@}
  rest=${rest%%/*}
  local host=${rest%%:*} port=$2
  [[ $rest == *:* ]] && port=${rest##*:}
  echo "${host:-127.0.0.1} $port"
}
read -r PG_HOST PG_PORT < <(host_port "${DXFLOW_TEST_PG_URL:-postgresql://127.0.0.1:5432}" 5432)
read -r REDIS_HOST REDIS_PORT < <(host_port "${DXFLOW_TEST_REDIS_URL:-redis://127.0.0.1:6379/15}" 6379)

answers() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
pg_up() { answers "$PG_HOST" "$PG_PORT"; }
redis_up() { answers "$REDIS_HOST" "$REDIS_PORT"; }
is_local() { [[ $1 == 127.0.0.1 || $1 == localhost || $1 == ::1 ]]; }
wait_for() { for _ in $(seq 1 60); do "$1" && return 0; sleep 0.5; done; say "$2 was started but never answered."; exit 1; }

# Debian packages the tests need: Chromium for the browser tests (never a downloaded browser), and the services
# when they do not answer and are not installed.
missing=()
command -v chromium >/dev/null || missing+=(chromium)
if ! pg_up; then
  is_local "$PG_HOST" || { say "PostgreSQL does not answer at $PG_HOST:$PG_PORT (DXFLOW_TEST_PG_URL)."; exit 1; }
  command -v pg_ctlcluster >/dev/null || missing+=(postgresql)
fi
if ! redis_up; then
  is_local "$REDIS_HOST" || { say "Redis does not answer at $REDIS_HOST:$REDIS_PORT (DXFLOW_TEST_REDIS_URL)."; exit 1; }
  command -v redis-server >/dev/null || missing+=(redis-server)
fi
if ((${#missing[@]})); then
  if [[ $(id -u) != 0 ]] || ! command -v apt-get >/dev/null; then
    say "install ${missing[*]} first (e.g. sudo apt-get install ${missing[*]}), then run it again."
    exit 1
  fi
  say "installing ${missing[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! pg_up; then
  if [[ $(id -u) != 0 ]]; then
    say "PostgreSQL is installed but does not answer at $PG_HOST:$PG_PORT: start it (sudo pg_ctlcluster ... start)."
    exit 1
  fi
  say "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start
  wait_for pg_up PostgreSQL
fi
if ! redis_up; then
  say "starting Redis"
  dir=/var/lib/redis
  [[ $(id -u) == 0 ]] || dir=${TMPDIR:-/tmp}/dxflow-test-redis
  mkdir -p "$dir"
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" --appendonly no \
    --dir "$dir" --logfile "$dir/test-redis.log"
  wait_for redis_up Redis
fi
