#!/usr/bin/env bash
# Peer brokers for `npm run bench -- peers`: Redis, NATS JetStream and RabbitMQ from Debian's
# packages, each bound to 127.0.0.1 ONLY, on non-default ports, with data under one temporary
# directory that `stop` removes.
#
#   scripts/peers.sh start    install (apt-get, once) and start every peer
#   scripts/peers.sh stop     stop every peer this script started and remove its data
#   scripts/peers.sh status   say which peers are running and on which port
#
# Durability, stated here and in bench/peers/peer-ports.ts (keep the two in step):
#   redis-page-cache  127.0.0.1:16379  appendonly yes, appendfsync no      (acks 1: page cache)
#   redis-fsync       127.0.0.1:16380  appendonly yes, appendfsync always  (acks all: fsync'd)
#   nats-page-cache   127.0.0.1:14222  JetStream file store, default sync  (acks 1: page cache)
#   nats-fsync        127.0.0.1:14223  JetStream file store, sync_interval: always; started only
#                                      when the server has that option (nats-server >= 2.10)
#   rabbitmq          127.0.0.1:15673  durable queues + persistent messages + confirms (acks all),
#                                      streams (no fsync: acks 1), transient messages (acks 1)
set -euo pipefail

PEERS_DIR="${MAMBA_PEERS_DIR:-${TMPDIR:-/tmp}/mamba-peers}"
HOST=127.0.0.1
REDIS_PORT_PAGE_CACHE=16379
REDIS_PORT_FSYNC=16380
NATS_PORT_PAGE_CACHE=14222
NATS_PORT_FSYNC=14223
RABBIT_PORT=15673
RABBIT_DIST_PORT=25673
EPMD_PORT=14369

log() { printf 'peers: %s\n' "$*"; }

install_packages() {
  local missing=()
  command -v redis-server >/dev/null || missing+=(redis-server)
  command -v nats-server >/dev/null || missing+=(nats-server)
  [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || missing+=(rabbitmq-server)
  if [ "${#missing[@]}" -eq 0 ]; then return; fi
  log "installing ${missing[*]} (apt-get; services are not started by the package)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian may start the packaged services on their default ports; this bench does not use them.
  for service in redis-server nats-server rabbitmq-server; do
    service "$service" stop >/dev/null 2>&1 || true
  done
  # The rabbitmq-server package starts an Erlang port mapper on the default port 4369, on every
  # interface; stop that one (our node gets its own, on 127.0.0.1:$EPMD_PORT).
  if command -v epmd >/dev/null; then epmd -kill >/dev/null 2>&1 || true; fi
}

# Waits until a TCP port on 127.0.0.1 accepts connections, for at most 60 s.
wait_port() {
  local name=$1 port=$2
  for _ in $(seq 1 120); do
    if (exec 3<>"/dev/tcp/$HOST/$port") 2>/dev/null; then log "$name up on $HOST:$port"; return 0; fi
    sleep 0.5
  done
  log "$name did not open $HOST:$port within 60 s (log under $PEERS_DIR)"
  return 1
}

start_redis() {
  local name=$1 port=$2 fsync=$3 dir="$PEERS_DIR/$1"
  mkdir -p "$dir"
  redis-server --bind "$HOST" --port "$port" --protected-mode yes --dir "$dir" \
    --appendonly yes --appendfsync "$fsync" --save '' --daemonize yes \
    --pidfile "$dir/pid" --logfile "$dir/log"
  wait_port "$name (appendfsync $fsync)" "$port"
}

nats_supports_sync_always() {
  local probe="$PEERS_DIR/probe.conf"
  printf 'listen: %s:1\njetstream { store_dir: "%s/probe", sync_interval: always }\n' \
    "$HOST" "$PEERS_DIR" >"$probe"
  nats-server -c "$probe" -t >/dev/null 2>&1
}

start_nats() {
  local name=$1 port=$2 sync=$3 dir="$PEERS_DIR/$1"
  mkdir -p "$dir"
  {
    printf 'listen: %s:%s\n' "$HOST" "$port"
    printf 'jetstream {\n  store_dir: "%s"\n  max_file_store: 8GB\n' "$dir/store"
    if [ -n "$sync" ]; then printf '  sync_interval: %s\n' "$sync"; fi
    printf '}\n'
  } >"$dir/nats.conf"
  nohup nats-server -c "$dir/nats.conf" -l "$dir/log" >/dev/null 2>&1 &
  echo $! >"$dir/pid"
  echo "${sync:-default}" >"$dir/sync_interval"
  wait_port "$name (sync_interval ${sync:-server default})" "$port"
}

start_rabbitmq() {
  local dir="$PEERS_DIR/rabbitmq"
  mkdir -p "$dir/home"
  printf 'listeners.tcp.1 = %s:%s\nloopback_users.guest = true\n' "$HOST" "$RABBIT_PORT" \
    >"$dir/rabbitmq.conf"
  printf '[].\n' >"$dir/enabled_plugins"
  (
    export HOME="$dir/home" RABBITMQ_NODENAME=mambabench@localhost \
      RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf" RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins" \
      RABBITMQ_MNESIA_BASE="$dir/mnesia" RABBITMQ_LOG_BASE="$dir/log" \
      RABBITMQ_DIST_PORT="$RABBIT_DIST_PORT" ERL_EPMD_PORT="$EPMD_PORT" ERL_EPMD_ADDRESS="$HOST" \
      RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
    nohup /usr/lib/rabbitmq/bin/rabbitmq-server >"$dir/stdout" 2>&1 &
    echo $! >"$dir/pid"
  )
  wait_port "rabbitmq (durable queues, confirms)" "$RABBIT_PORT"
}

running() { [ -f "$1/pid" ] && kill -0 "$(cat "$1/pid")" 2>/dev/null; }

cmd_start() {
  install_packages
  mkdir -p "$PEERS_DIR"
  running "$PEERS_DIR/redis-page-cache" || start_redis redis-page-cache "$REDIS_PORT_PAGE_CACHE" no
  running "$PEERS_DIR/redis-fsync" || start_redis redis-fsync "$REDIS_PORT_FSYNC" always
  running "$PEERS_DIR/nats-page-cache" || start_nats nats-page-cache "$NATS_PORT_PAGE_CACHE" ""
  if nats_supports_sync_always; then
    running "$PEERS_DIR/nats-fsync" || start_nats nats-fsync "$NATS_PORT_FSYNC" always
  else
    # Without `sync_interval: always` JetStream acknowledges before any fsync (its default
    # fsyncs every 2 minutes), so no NATS server can stand at Mamba's acks 'all' level.
    log "nats-server $(nats-server --version | awk '{print $NF}') has no sync_interval option:"
    log "  nats-fsync (acks 'all') not started; JetStream cannot fsync before acknowledging"
  fi
  running "$PEERS_DIR/rabbitmq" || start_rabbitmq
  log "data under $PEERS_DIR"
}

# Stops one peer by the pid this script recorded, waiting up to 30 s for it to exit.
stop_one() {
  local dir=$1 pid
  [ -f "$dir/pid" ] || return 0
  pid=$(cat "$dir/pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    log "stopped $(basename "$dir") (pid $pid)"
  fi
  rm -f "$dir/pid"
}

cmd_stop() {
  [ -d "$PEERS_DIR" ] || { log "nothing to stop"; return 0; }
  for dir in "$PEERS_DIR"/*/; do stop_one "${dir%/}"; done
  # RabbitMQ's Erlang port mapper was started for our node on our own port; `-kill` stops that
  # one only, and only once no node is registered with it.
  if command -v epmd >/dev/null; then
    ERL_EPMD_PORT=$EPMD_PORT epmd -kill >/dev/null 2>&1 && log "stopped epmd on port $EPMD_PORT"
  fi
  rm -rf "$PEERS_DIR"
}

cmd_status() {
  local found=0
  for dir in "$PEERS_DIR"/*/; do
    [ -d "$dir" ] || continue
    if running "${dir%/}"; then log "$(basename "$dir") running (pid $(cat "$dir/pid"))"; found=1; fi
  done
  if [ -f "$PEERS_DIR/nats-fsync/sync_interval" ]; then
    log "nats-fsync sync_interval: $(cat "$PEERS_DIR/nats-fsync/sync_interval")"
  fi
  [ "$found" -eq 1 ] || log "no peers running"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
