#!/usr/bin/env bash
# Start a throwaway PostgreSQL cluster and Redis server for the test suite,
# installing Debian's packages first when they are missing and we are root.
# Prints the environment variables to export (eval "$(scripts/test-services.sh start)").
set -euo pipefail

STATE_DIR="${TANDEM_TEST_STATE:-/tmp/tandem-test-services}"
PG_PORT="${TANDEM_PG_PORT:-54329}"
REDIS_PORT="${TANDEM_REDIS_PORT:-63799}"
PG_DATA="$STATE_DIR/pg"
PG_SOCK="$STATE_DIR/sock"

log() { echo "[test-services] $*" >&2; }

as_root() { [ "$(id -u)" -eq 0 ]; }

apt_install() {
  if ! as_root; then
    log "missing $* and not root: install it (apt-get install $*) and re-run"
    exit 1
  fi
  if [ -z "${_APT_UPDATED:-}" ]; then
    log "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    _APT_UPDATED=1
  fi
  log "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2
}

pg_bindir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
  echo "$dir"
}

ensure_packages() {
  [ -n "$(pg_bindir)" ] && [ -x "$(pg_bindir)/initdb" ] || apt_install postgresql
  command -v redis-server >/dev/null || apt_install redis-server
  [ -x /usr/bin/chromium ] || apt_install chromium fonts-liberation
  # WeasyPrint's Pango and HarfBuzz, for the quote PDFs the tests render.
  "$(dirname "$0")/pdf-libs.sh"
}

# initdb and postgres refuse to run as root, so the cluster belongs to `postgres`.
run_pg() {
  if as_root; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

start_pg() {
  local bin
  bin=$(pg_bindir)
  mkdir -p "$STATE_DIR"
  if as_root; then chown postgres:postgres "$STATE_DIR"; chmod 755 "$STATE_DIR"; fi
  if [ ! -f "$PG_DATA/PG_VERSION" ]; then
    run_pg mkdir -p "$PG_DATA" "$PG_SOCK"
    run_pg "$bin/initdb" -D "$PG_DATA" -U postgres -A trust -E UTF8 --no-locale >/dev/null
  fi
  run_pg mkdir -p "$PG_SOCK"
  if ! run_pg "$bin/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; then
    # fsync off: a throwaway cluster for tests, speed over durability.
    run_pg "$bin/pg_ctl" -D "$PG_DATA" -l "$STATE_DIR/pg.log" -w -t 60 \
      -o "-p $PG_PORT -k $PG_SOCK -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
      start >/dev/null
  fi
  log "PostgreSQL on 127.0.0.1:$PG_PORT"
}

start_redis() {
  if ! redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no \
      --daemonize yes --logfile "$STATE_DIR/redis.log" --dir "$STATE_DIR" >/dev/null
    for _ in $(seq 1 50); do
      redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break
      sleep 0.1
    done
  fi
  log "Redis on 127.0.0.1:$REDIS_PORT"
}

stop_all() {
  local bin
  bin=$(pg_bindir)
  [ -f "$PG_DATA/PG_VERSION" ] && run_pg "$bin/pg_ctl" -D "$PG_DATA" -m fast stop >/dev/null 2>&1 || true
  redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
}

# `make bench`'s load tool (not needed by `make test`).
ensure_bench_tools() {
  command -v wrk >/dev/null && return 0
  apt_install wrk || true
  if ! command -v wrk >/dev/null; then
    log "could not install wrk, the load tool of make bench: install Debian's package wrk (apt-get install wrk) and re-run"
    exit 1
  fi
}

case "${1:-start}" in
  bench-tools) ensure_bench_tools ;;
  start)
    ensure_packages
    start_pg
    start_redis
    echo "export DATABASE_URL=postgres://postgres@127.0.0.1:$PG_PORT/tandem"
    echo "export CELERY_BROKER_URL=redis://127.0.0.1:$REDIS_PORT/0"
    echo "export CACHE_URL=rediscache://127.0.0.1:$REDIS_PORT/1"
    ;;
  stop) stop_all ;;
  *) echo "usage: $0 start|stop|bench-tools" >&2; exit 2 ;;
esac
