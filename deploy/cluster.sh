#!/usr/bin/env bash
# A local cluster on loopback (docs/deploy.md, "Several servers on one PostgreSQL"): a
# PostgreSQL in a private folder, two ratel-servers on the demo data sharing their balances
# in it, and HAProxy in front of them (deploy/haproxy/haproxy.cfg).
#   bash deploy/cluster.sh          # build, start everything, print the addresses
#   bash deploy/cluster.sh stop     # stop everything it started
#   bash deploy/cluster.sh status   # what runs
# Everything lives in $RATEL_CLUSTER_DIR (default target/cluster): the database folder, the
# servers' configurations and logs, the pid files. Needs PostgreSQL 15 and HAProxy (Debian
# packages postgresql and haproxy; installed with apt when run as root and missing).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
dir=${RATEL_CLUSTER_DIR:-$root/target/cluster}
PGBIN=${RATEL_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
api_ports=(18081 18082)
admin_ports=(19091 19092)
proxy=127.0.0.1:18080

stop() {
  for pidfile in "$dir"/haproxy.pid "$dir"/server*.pid; do
    [ -f "$pidfile" ] || continue
    kill "$(cat "$pidfile")" 2>/dev/null || true
    rm -f "$pidfile"
  done
  if [ -n "$PGBIN" ] && [ -f "$dir/pg/data/postmaster.pid" ]; then
    as_pg "$PGBIN/pg_ctl" -D "$dir/pg/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  echo "cluster stopped ($dir kept: the database and the logs)"
}

status() {
  for pidfile in "$dir"/haproxy.pid "$dir"/server*.pid; do
    [ -f "$pidfile" ] || continue
    if kill -0 "$(cat "$pidfile")" 2>/dev/null; then state=running; else state=gone; fi
    echo "$(basename "$pidfile" .pid): pid $(cat "$pidfile") $state"
  done
  if [ -n "$PGBIN" ] && as_pg "$PGBIN/pg_isready" -q -h "$dir/pg" 2>/dev/null; then
    echo "postgresql: accepting connections on $dir/pg"
  else
    echo "postgresql: not running"
  fi
}

case "${1:-start}" in
  stop) stop; exit 0 ;;
  status) status; exit 0 ;;
  start) ;;
  *) echo "usage: deploy/cluster.sh [start|stop|status]" >&2; exit 2 ;;
esac

need_apt=()
[ -n "$PGBIN" ] && [ -x "$PGBIN/initdb" ] || need_apt+=(postgresql)
command -v haproxy >/dev/null || need_apt+=(haproxy)
if [ ${#need_apt[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || { echo "cluster.sh: missing ${need_apt[*]} (apt-get install ${need_apt[*]})" >&2; exit 1; }
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
fi
if [ -f "$dir/haproxy.pid" ] || ls "$dir"/server*.pid >/dev/null 2>&1; then
  echo "cluster.sh: a cluster seems to run already ($dir); deploy/cluster.sh stop first" >&2
  exit 1
fi

echo "== building ratel-server and tariff-compile (release) =="
cargo build --release -q -p ratel-server -p ratel-tools
target/release/tariff-compile -o fixtures/demo/tariffs.ratel fixtures/demo/tariffs/retail.csv \
  fixtures/demo/tariffs/wholesale.csv fixtures/demo/tariffs/vip_custom.csv > /dev/null

mkdir -p "$dir/pg"
# PostgreSQL refuses to run as root: as root, its folder belongs to the postgres user.
[ "$(id -u)" != 0 ] || chown postgres "$dir/pg"
if [ ! -f "$dir/pg/data/PG_VERSION" ]; then
  as_pg "$PGBIN/initdb" -D "$dir/pg/data" -A trust -U ratel -E UTF8 > /dev/null
fi
# Unix socket only, in the private folder: nothing listens on a network port.
as_pg "$PGBIN/pg_ctl" -D "$dir/pg/data" -l "$dir/pg/log" -w \
  -o "-c listen_addresses='' -c unix_socket_directories='$dir/pg'" start > /dev/null
as_pg "$PGBIN/psql" -h "$dir/pg" -U ratel -d postgres -qAtc "SELECT 1 FROM pg_database WHERE datname = 'ratel'" \
  | grep -q 1 || as_pg "$PGBIN/createdb" -h "$dir/pg" -U ratel ratel
url="postgresql://ratel@/ratel?host=$dir/pg"

for i in 0 1; do
  n=$((i + 1))
  # The demo configuration with this server's ports, its data paths made absolute, and the
  # ledger in the shared database instead of a file.
  sed -e "s|^listen = .*|listen = \"127.0.0.1:${api_ports[$i]}\"|" \
      -e "s|^admin_listen = .*|admin_listen = \"127.0.0.1:${admin_ports[$i]}\"|" \
      -e "s#^\(artifact\|users\|cards\|card_groups\|currencies\) = \"\(.*\)\"#\1 = \"$root/fixtures/demo/\2\"#" \
      -e "s|^path = \"ledger.sqlite\"|url = \"$url\"|" \
      -e "/^create = /d" -e "/^# A missing ledger file/d" -e "/^# production, where a missing ledger/d" \
      fixtures/demo/ratel.toml > "$dir/server$n.toml"
  target/release/ratel-server --config "$dir/server$n.toml" >> "$dir/server$n.log" 2>&1 &
  echo $! > "$dir/server$n.pid"
done
haproxy -f deploy/haproxy/haproxy.cfg >> "$dir/haproxy.log" 2>&1 &
echo $! > "$dir/haproxy.pid"

# Ready when both servers' /healthz answer 200 and the proxy answers.
for _ in $(seq 1 150); do
  ready=1
  for port in "${admin_ports[@]}"; do
    curl -sf "http://127.0.0.1:$port/healthz" > /dev/null 2>&1 || ready=0
  done
  curl -s -m 1 -o /dev/null "http://$proxy/billing/api/simple_balance/a1b2c3d4e5" 2>/dev/null || ready=0
  [ "$ready" = 1 ] && break
  sleep 0.2
done
if [ "$ready" != 1 ]; then
  echo "cluster.sh: the cluster did not come up; logs in $dir" >&2
  tail -n 5 "$dir"/server*.log "$dir/haproxy.log" >&2 || true
  stop
  exit 1
fi
cat <<TXT
cluster up (everything on loopback; files in $dir):
  public API, through HAProxy:  http://$proxy   (e.g. curl http://$proxy/billing/api/simple_balance/a1b2c3d4e5)
  HAProxy statistics:           http://127.0.0.1:18404/
  ratel-server 1:               http://127.0.0.1:${api_ports[0]}  admin http://127.0.0.1:${admin_ports[0]}/healthz
  ratel-server 2:               http://127.0.0.1:${api_ports[1]}  admin http://127.0.0.1:${admin_ports[1]}/healthz
  PostgreSQL:                   $url
stop it with: bash deploy/cluster.sh stop
TXT
