#!/usr/bin/env bash
# Makes sure every real engine the tests use is installed, configured and
# listening on 127.0.0.1, starting or fixing only what is missing:
#   PostgreSQL :5432 (wal_level=logical, >=10 replication slots / WAL senders)
#   Redis :6379, RabbitMQ :5672 (rabbitmq_consistent_hash_exchange enabled),
#   NATS :4222 (JetStream), etcd :2379 (installed from Debian if missing),
#   and the tools protoc and dig.
# Idempotent and silent when everything is already up; prints one line per
# action otherwise. Exits non-zero, naming the service, when something cannot
# be made reachable. Meant for Debian 12 as root (developer machine or CI).
set -euo pipefail

WAIT_SECS=${SERVICES_WAIT_SECS:-60}
RABBIT_PLUGIN=rabbitmq_consistent_hash_exchange
ETCD_DATA=/var/lib/etcd-switchyard
ETCD_LOG=/var/log/etcd-switchyard.log
NATS_LOG=/var/log/nats-server.log
REDIS_LOG=/var/log/redis/ci.log

TMP_OUT=$(mktemp)
POLICY_RC_TEMP=
cleanup() {
  rm -f "$TMP_OUT"
  if [ -n "$POLICY_RC_TEMP" ]; then rm -f /usr/sbin/policy-rc.d; fi
}
trap cleanup EXIT

say() { echo "$*"; }

# die SERVICE MESSAGE [LOGFILE]: report the failure (with the log's tail) and exit.
die() {
  local service=$1 msg=$2 log=${3:-}
  echo "services.sh: ERROR: $service: $msg" >&2
  if [ -n "$log" ] && [ -s "$log" ]; then
    echo "--- last lines of $log ---" >&2
    tail -n 25 "$log" >&2 || true
  fi
  exit 1
}

# run_logged LOGFILE CMD...: run quietly, keeping the output for error reports.
run_logged() {
  local log=$1
  shift
  "$@" </dev/null >"$log" 2>&1
}

port_open() {
  timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

# wait_port SERVICE PORT LOGFILE: poll the port for up to WAIT_SECS seconds.
wait_port() {
  local service=$1 port=$2 log=${3:-} deadline=$((SECONDS + WAIT_SECS))
  until port_open "$port"; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      die "$service" "not reachable on 127.0.0.1:$port after ${WAIT_SECS}s" "$log"
    fi
    sleep 0.5
  done
}

# wait_until SERVICE LOGFILE CMD...: poll CMD until it succeeds or WAIT_SECS pass.
wait_until() {
  local service=$1 log=$2 deadline=$((SECONDS + WAIT_SECS))
  shift 2
  until "$@" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      die "$service" "not ready after ${WAIT_SECS}s ($*)" "$log"
    fi
    sleep 0.5
  done
}

# ---------------------------------------------------------------- packages

APT_PACKAGES=()

need_pkg() { APT_PACKAGES+=("$@"); }

install_packages() {
  [ "${#APT_PACKAGES[@]}" -gt 0 ] || return 0
  say "installing Debian packages: ${APT_PACKAGES[*]}"
  # Keep package maintainer scripts from starting their own daemons (we start
  # ours with explicit flags); only when no policy is in place already.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    POLICY_RC_TEMP=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  run_logged "$TMP_OUT" apt-get -qq -o DPkg::Lock::Timeout=120 update ||
    die "apt-get" "apt-get update failed" "$TMP_OUT"
  run_logged "$TMP_OUT" apt-get -y -qq -o DPkg::Lock::Timeout=120 \
    install --no-install-recommends "${APT_PACKAGES[@]}" ||
    die "apt-get" "installing ${APT_PACKAGES[*]} failed" "$TMP_OUT"
  if [ -n "$POLICY_RC_TEMP" ]; then
    rm -f /usr/sbin/policy-rc.d
    POLICY_RC_TEMP=
  fi
  APT_PACKAGES=()
}

ensure_tools() {
  if ! command -v protoc >/dev/null 2>&1; then
    # libprotobuf-dev carries the google/protobuf/*.proto well-known types.
    need_pkg protobuf-compiler libprotobuf-dev
  fi
  if ! command -v dig >/dev/null 2>&1; then
    need_pkg bind9-dnsutils
  fi
}

# ---------------------------------------------------------------- PostgreSQL

pg_version() {
  local v
  v=$(pg_lsclusters -h 2>/dev/null | awk '$2 == "main" && $3 == 5432 { print $1; exit }')
  if [ -z "$v" ]; then
    v=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
  fi
  [ -n "$v" ] || die "PostgreSQL" "no cluster found under /etc/postgresql"
  echo "$v"
}

pg_query() {
  PGCONNECT_TIMEOUT=3 psql -h 127.0.0.1 -p 5432 -U postgres -d postgres -XAtq -c "$1"
}

ensure_postgres() {
  local ver log settings wal slots senders
  if ! port_open 5432; then
    ver=$(pg_version)
    log=/var/log/postgresql/postgresql-$ver-main.log
    say "starting PostgreSQL $ver on 127.0.0.1:5432"
    run_logged "$TMP_OUT" pg_ctlcluster --skip-systemctl-redirect "$ver" main start ||
      die "PostgreSQL" "pg_ctlcluster $ver main start failed: $(tail -n 5 "$TMP_OUT")" "$log"
    wait_port "PostgreSQL" 5432 "$log"
    wait_until "PostgreSQL" "$log" pg_query 'select 1'
  fi

  settings=$(pg_query "select current_setting('wal_level') || ' ' ||
      current_setting('max_replication_slots') || ' ' || current_setting('max_wal_senders')" 2>"$TMP_OUT") ||
    die "PostgreSQL" "cannot query 127.0.0.1:5432 as user postgres: $(cat "$TMP_OUT")"
  read -r wal slots senders <<<"$settings"
  if [ "$wal" = logical ] && [ "$slots" -ge 10 ] && [ "$senders" -ge 10 ]; then
    return 0
  fi

  ver=$(pg_version)
  log=/var/log/postgresql/postgresql-$ver-main.log
  say "configuring PostgreSQL for logical replication and restarting it"
  pg_query "ALTER SYSTEM SET wal_level = 'logical'" >/dev/null
  [ "$slots" -ge 10 ] || pg_query "ALTER SYSTEM SET max_replication_slots = 10" >/dev/null
  [ "$senders" -ge 10 ] || pg_query "ALTER SYSTEM SET max_wal_senders = 10" >/dev/null
  run_logged "$TMP_OUT" pg_ctlcluster --skip-systemctl-redirect "$ver" main restart ||
    die "PostgreSQL" "pg_ctlcluster $ver main restart failed: $(tail -n 5 "$TMP_OUT")" "$log"
  wait_port "PostgreSQL" 5432 "$log"
  wait_until "PostgreSQL" "$log" pg_query 'select 1'
  wal=$(pg_query 'show wal_level')
  [ "$wal" = logical ] || die "PostgreSQL" "wal_level is still '$wal' after restart" "$log"
}

# ---------------------------------------------------------------- Redis

ensure_redis() {
  port_open 6379 && return 0
  say "starting Redis on 127.0.0.1:6379"
  mkdir -p /var/lib/redis /var/log/redis
  run_logged "$TMP_OUT" redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 \
    --save "" --appendonly no --dir /var/lib/redis --logfile "$REDIS_LOG" ||
    die "Redis" "redis-server failed to start: $(tail -n 5 "$TMP_OUT")" "$REDIS_LOG"
  wait_port "Redis" 6379 "$REDIS_LOG"
}

# ---------------------------------------------------------------- RabbitMQ

rabbit_plugins_file() {
  local f=${RABBITMQ_ENABLED_PLUGINS_FILE:-}
  if [ -z "$f" ] && [ -r /etc/rabbitmq/rabbitmq-env.conf ]; then
    f=$(sed -n 's/^[[:space:]]*\(export[[:space:]]\+\)\?\(RABBITMQ_\)\?ENABLED_PLUGINS_FILE=//p' \
      /etc/rabbitmq/rabbitmq-env.conf | tail -n 1 | tr -d '"'"'")
  fi
  echo "${f:-/etc/rabbitmq/enabled_plugins}"
}

rabbit_log() {
  ls -t /var/log/rabbitmq/*.log 2>/dev/null | grep -v _upgrade | head -n 1 || true
}

ensure_rabbitmq() {
  local enabled=false file
  file=$(rabbit_plugins_file)
  if [ -r "$file" ] && grep -q "\b$RABBIT_PLUGIN\b" "$file"; then enabled=true; fi

  if port_open 5672; then
    $enabled && return 0
    say "enabling RabbitMQ plugin $RABBIT_PLUGIN"
    run_logged "$TMP_OUT" timeout 120 rabbitmq-plugins -q enable "$RABBIT_PLUGIN" ||
      die "RabbitMQ" "rabbitmq-plugins enable $RABBIT_PLUGIN failed: $(tail -n 5 "$TMP_OUT")" "$(rabbit_log)"
  else
    if ! $enabled; then
      say "enabling RabbitMQ plugin $RABBIT_PLUGIN (offline)"
      run_logged "$TMP_OUT" timeout 120 rabbitmq-plugins -q enable --offline "$RABBIT_PLUGIN" ||
        die "RabbitMQ" "rabbitmq-plugins enable --offline failed: $(tail -n 5 "$TMP_OUT")"
    fi
    say "starting RabbitMQ on 127.0.0.1:5672"
    run_logged "$TMP_OUT" rabbitmq-server -detached ||
      die "RabbitMQ" "rabbitmq-server -detached failed: $(tail -n 5 "$TMP_OUT")" "$(rabbit_log)"
    wait_port "RabbitMQ" 5672 "$(rabbit_log)"
  fi

  run_logged "$TMP_OUT" timeout "$WAIT_SECS" rabbitmqctl -q await_startup ||
    die "RabbitMQ" "node did not finish booting: $(tail -n 5 "$TMP_OUT")" "$(rabbit_log)"
  run_logged "$TMP_OUT" timeout 60 rabbitmq-plugins -q list -e "$RABBIT_PLUGIN" ||
    die "RabbitMQ" "cannot list plugins: $(tail -n 5 "$TMP_OUT")" "$(rabbit_log)"
  grep -q "\[E\*\] $RABBIT_PLUGIN" "$TMP_OUT" ||
    die "RabbitMQ" "plugin $RABBIT_PLUGIN is not running: $(cat "$TMP_OUT")" "$(rabbit_log)"
}

# ---------------------------------------------------------------- NATS

# The first line a NATS server sends is INFO {...}; it has "jetstream":true
# when JetStream is enabled.
nats_info() {
  timeout 2 bash -c 'exec 3<>/dev/tcp/127.0.0.1/4222; IFS= read -r line <&3; echo "$line"' 2>/dev/null
}

start_nats() {
  mkdir -p /var/lib/nats-server
  # A pid file of our own, so another nats-server process (other port) does
  # not make start-stop-daemon believe this one is already running.
  run_logged "$TMP_OUT" start-stop-daemon --start --oknodo --background \
    --pidfile /run/switchyard-nats-server.pid --make-pidfile --exec /usr/sbin/nats-server -- \
    -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l "$NATS_LOG" ||
    die "NATS" "nats-server failed to start: $(tail -n 5 "$TMP_OUT")" "$NATS_LOG"
  wait_port "NATS" 4222 "$NATS_LOG"
}

# running PID: the process exists and is not a zombie (PID 1 may not reap).
running() {
  local _pid _comm state
  { read -r _pid _comm state _ <"/proc/$1/stat"; } 2>/dev/null || return 1
  [ "$state" != Z ]
}

# listener_pid PORT: pid of the process listening on 127.0.0.1:PORT (needs ss).
listener_pid() {
  ss -ltnpH "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' | head -n 1 | cut -d= -f2 || true
}

ensure_nats() {
  local info pid deadline
  if ! port_open 4222; then
    say "starting NATS (JetStream) on 127.0.0.1:4222"
    start_nats
  fi
  info=$(nats_info || true)
  case $info in
    INFO*'"jetstream":true'*) return 0 ;;
    INFO*) ;;
    *) die "NATS" "127.0.0.1:4222 is open but did not answer like a NATS server" "$NATS_LOG" ;;
  esac
  pid=$(listener_pid 4222)
  if [ -z "$pid" ] || [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" != /usr/sbin/nats-server ]; then
    die "NATS" "the server on 127.0.0.1:4222 runs without JetStream and is not a local /usr/sbin/nats-server; restart it with -js"
  fi
  say "restarting NATS with JetStream enabled"
  kill "$pid"
  deadline=$((SECONDS + 15))
  while port_open 4222 || running "$pid"; do
    [ "$SECONDS" -lt "$deadline" ] || die "NATS" "nats-server (pid $pid) did not stop"
    sleep 0.2
  done
  start_nats
  info=$(nats_info || true)
  [[ $info == *'"jetstream":true'* ]] || die "NATS" "JetStream is still disabled after restart" "$NATS_LOG"
}

# ---------------------------------------------------------------- etcd

etcd_healthy() {
  timeout 2 bash -c 'exec 3<>/dev/tcp/127.0.0.1/2379
    printf "GET /health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" >&3
    cat <&3' 2>/dev/null | grep -q '"health":"true"'
}

ensure_etcd() {
  port_open 2379 && return 0
  command -v etcd >/dev/null 2>&1 || die "etcd" "etcd is not installed (Debian package etcd-server)"
  say "starting etcd on 127.0.0.1:2379"
  mkdir -p "$ETCD_DATA"
  chmod 700 "$ETCD_DATA"
  if [ "$(uname -m)" = aarch64 ]; then export ETCD_UNSUPPORTED_ARCH=arm64; fi
  setsid etcd \
    --name switchyard \
    --data-dir "$ETCD_DATA" \
    --listen-client-urls http://127.0.0.1:2379 \
    --advertise-client-urls http://127.0.0.1:2379 \
    --listen-peer-urls http://127.0.0.1:2380 \
    --initial-advertise-peer-urls http://127.0.0.1:2380 \
    --initial-cluster switchyard=http://127.0.0.1:2380 \
    --initial-cluster-token switchyard \
    --initial-cluster-state new \
    --logger zap --log-outputs stderr \
    </dev/null >>"$ETCD_LOG" 2>&1 &
  disown
  wait_port "etcd" 2379 "$ETCD_LOG"
  wait_until "etcd" "$ETCD_LOG" etcd_healthy
}

# ---------------------------------------------------------------- main

main() {
  ensure_tools
  if ! port_open 2379 && ! command -v etcd >/dev/null 2>&1; then
    need_pkg etcd-server etcd-client
  fi
  install_packages
  command -v protoc >/dev/null 2>&1 || die "protoc" "still missing after installing protobuf-compiler"
  command -v dig >/dev/null 2>&1 || die "dig" "still missing after installing bind9-dnsutils"

  ensure_postgres
  ensure_redis
  ensure_rabbitmq
  ensure_nats
  ensure_etcd
}

main "$@"
