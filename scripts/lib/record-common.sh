# Shared by scripts/record-*.sh, sourced right after `set -euo pipefail` with the script's
# arguments: `. "$here/lib/record-common.sh" "$@"`.
# Sets: out (OUT_DIR, the first argument; default captures/), created; work (a temp dir, removed
# on exit); PYTHONPATH, so that clients can `import loopback` (scripts/lib/loopback.py).
# Cleanup on exit stops the running capture, kills every pid in `servers` and runs every
# command in `cleanup_hooks` (while $work still exists).

lib=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=$(realpath -m "${1:-$lib/../../captures}")
export PYTHONPATH="$lib${PYTHONPATH:+:$PYTHONPATH}"
mkdir -p "$out"
work=$(mktemp -d)
tcpd=''
servers=()
cleanup_hooks=()

record_cleanup() {
  [ -n "$tcpd" ] && kill -INT "$tcpd" 2>/dev/null || true
  local pid hook
  for pid in "${servers[@]}"; do kill "$pid" 2>/dev/null || true; done
  for hook in "${cleanup_hooks[@]}"; do $hook >/dev/null 2>&1 || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap record_cleanup EXIT

# install_missing CHECK:PACKAGE...: apt-get installs each PACKAGE whose CHECK fails. CHECK is a
# command name, or `import MODULE` for a module of /usr/bin/python3.
install_missing() {
  local need=() entry check
  for entry in "$@"; do
    check=${entry%%:*}
    if [ "${check#import }" != "$check" ]; then
      /usr/bin/python3 -c "$check" 2>/dev/null || need+=("${entry##*:}")
    else
      command -v "$check" >/dev/null || need+=("${entry##*:}")
    fi
  done
  [ ${#need[@]} -eq 0 ] && return
  echo 'wireshark-common wireshark-common/install-setuid boolean false' | debconf-set-selections
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
}

# port_open PORT: something accepts TCP connections on 127.0.0.1:PORT.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

require_closed_port() {
  if port_open "$1"; then echo "port $1 is busy: set PORT to a free high port" >&2; exit 1; fi
}

# bindable PORT tcp|tcp+udp ADDRESS...: PORT can be bound on every ADDRESS (v4 or v6), for
# each transport. TCP binds with SO_REUSEADDR, as servers do: a TIME_WAIT left is fine.
bindable() {
  python3 - "$@" <<'PY'
import socket, sys
port, kinds, hosts = int(sys.argv[1]), sys.argv[2].split('+'), sys.argv[3:]
for host in hosts:
    for kind in kinds:
        s = socket.socket(socket.AF_INET6 if ':' in host else socket.AF_INET, socket.SOCK_STREAM if kind == 'tcp' else socket.SOCK_DGRAM)
        if kind == 'tcp':
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            sys.exit(1)
        finally:
            s.close()
PY
}

# wait_for SECONDS COMMAND...: polls COMMAND every 0.1 s until it succeeds or SECONDS pass
# (then goes on: the first capture step fails loudly enough).
wait_for() {
  local tries=$(($1 * 10)); shift
  for _ in $(seq 1 "$tries"); do "$@" >/dev/null 2>&1 && return; sleep 0.1; done
}

# start_capture FILE [FILTER]: tcpdump on lo (default filter: tcp port $port), returns once it
# is listening. Immediate mode hands each packet over at once; its ring holds buffer/snaplen
# packets, so the snaplen is just above lo's MTU and the buffer large, or the kernel drops
# packets under load.
start_capture() {
  rm -f "$1"
  tcpdump -i lo --immediate-mode -B 65536 -U -s 65600 -w "$1" "${2:-tcp port $port}" 2>"$work/tcpdump.err" & tcpd=$!
  for _ in $(seq 1 100); do grep -q 'listening on' "$work/tcpdump.err" && return; sleep 0.05; done
  echo "tcpdump did not start: $(cat "$work/tcpdump.err")" >&2; exit 1
}

stop_capture() {
  sleep 0.5
  kill -INT "$tcpd"; wait "$tcpd" || true; tcpd=''
  if grep -E '^[1-9][0-9]* packets dropped' "$work/tcpdump.err" >&2; then echo 'tcpdump dropped packets: record again' >&2; exit 1; fi
}

# count_fields FILE FIELD TSHARK_ARG...: how many values of FIELD tshark reads in FILE.
count_fields() {
  local f=$1 field=$2; shift 2
  tshark -r "$f" -n "$@" -T fields -E occurrence=a -E aggregator=, -e "$field" 2>/dev/null | tr ',' '\n' | grep -c .
}

# expect_count FILE WHAT EXPECTED ACTUAL: fails the recording when a capture lost traffic.
expect_count() {
  [ "$4" = "$3" ] || { echo "$1: $4 $2, expected $3: record again" >&2; exit 1; }
}

# summarize FILE [COUNT WHAT]: one line per capture: name, packets, bytes, and COUNT WHAT.
summarize() {
  printf '%-34s %6s packets %8s bytes' "$(basename "$1")" \
    "$(capinfos -M -c "$1" | awk -F': *' '/Number of packets/ {print $2}')" "$(stat -c %s "$1")"
  if [ $# -gt 1 ]; then printf ' %5s %s\n' "$2" "$3"; else echo; fi
}
