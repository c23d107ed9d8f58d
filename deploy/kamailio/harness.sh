# Sourced by deploy/kamailio/sip-test.sh and benches/sip/run.sh (from the repository's root):
# the Ratel server on the demo data and Kamailio with ratel.cfg in front of it, on free
# loopback ports, everything stopped and removed when the script exits.

# harness_start NAME: checks the tools, builds the server, makes the work folder ($work),
# the list of processes to stop ($pids) and the exit trap; picks the ports.
harness_start() {
  for tool in kamailio sipp curl python3; do
    command -v "$tool" >/dev/null || { echo "$1: $tool is missing (sudo bash deploy/kamailio/install.sh)" >&2; exit 1; }
  done
  cargo build --release --quiet -p ratel-server
  work=$(mktemp -d)
  pids=()
  trap harness_cleanup EXIT
  harness_ports
}

harness_cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -z "${gateway_port:-}" ] || pkill -f "sipp .*-p $gateway_port" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}

# Sets proxy_port, gateway_port and caller_port: three free UDP ports on loopback.
harness_ports() {
  read -r proxy_port gateway_port caller_port < <(python3 -c 'import socket
s = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(3)]
[x.bind(("127.0.0.1", 0)) for x in s]
print(" ".join(str(x.getsockname()[1]) for x in s))')
}

# harness_ratel USERS_CSV_LINES: the release ratel-server on a copy of the demo data in $work,
# with USERS_CSV_LINES appended to users.csv and one grant a call (`grant_s = 0`, as
# ratel.cfg expects); sets api and admin (addresses) and adds its pid to pids.
harness_ratel() {
  cp fixtures/demo/*.csv fixtures/demo/tariffs.ratel "$work/"
  printf '%s' "$1" >> "$work/users.csv"
  sed -e 's/^listen = .*/listen = "127.0.0.1:0"/' -e 's/^admin_listen = .*/admin_listen = "127.0.0.1:0"/' \
      -e 's/^grant_s = .*/grant_s = 0/' fixtures/demo/ratel.toml > "$work/ratel.toml"
  target/release/ratel-server --config "$work/ratel.toml" 2> "$work/server.log" &
  pids+=($!)
  for _ in $(seq 100); do grep -q "listening on" "$work/server.log" && break; sleep 0.1; done
  api=$(sed -n 's|.*listening on http://\([^/]*\)/.*|\1|p' "$work/server.log")
  admin=$(sed -n 's|.*admin on http://\([^ ]*\) .*|\1|p' "$work/server.log")
  [ -n "$api" ] || { cat "$work/server.log"; echo "the Ratel server did not start" >&2; exit 1; }
}

# harness_kamailio [-A DEFINE]...: Kamailio with deploy/kamailio/ratel.cfg, started as its
# README shows, listening on $proxy_port and relaying to $gateway_port; sets kamailio (pid).
harness_kamailio() {
  rm -rf "$work/run"; mkdir -p "$work/run"
  kamailio -DD -E -Y "$work/run" -f deploy/kamailio/ratel.cfg \
    -A "LISTEN=udp:127.0.0.1:$proxy_port" -A "UPSTREAM=\"sip:127.0.0.1:$gateway_port\"" \
    -A "RATEL_URL=\"http://$api\"" -A 'RATEL_TOKEN="demo-token-change-me"' "$@" \
    > "$work/kamailio.log" 2>&1 &
  kamailio=$!
  for _ in $(seq 50); do grep -q "SO_RCVBUF is finally" "$work/kamailio.log" && break; sleep 0.1; done
  sleep 0.5
  kill -0 "$kamailio" 2>/dev/null || { cat "$work/kamailio.log"; echo "kamailio did not start" >&2; exit 1; }
}

# harness_gateway SCENARIO CALLS: the carrier's gateway (SIPp on $gateway_port) in the
# background until its calls are done; the previous one gives the port up first.
harness_gateway() {
  pkill -f "sipp .*-p $gateway_port" 2>/dev/null || true
  for _ in $(seq 50); do pgrep -f "sipp .*-p $gateway_port" >/dev/null || break; sleep 0.05; done
  # SIPp in the background exits 99 once its child runs.
  sipp -sf "deploy/kamailio/sipp/$1" -i 127.0.0.1 -p "$gateway_port" -m "$2" -bg \
    -trace_err -error_file "$work/gateway-errors.log" > /dev/null 2>&1 || true
  sleep 0.3
}
