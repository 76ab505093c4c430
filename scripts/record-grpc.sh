#!/usr/bin/env bash
# Records captures/grpc-python.pcap from real gRPC traffic on loopback: a python3-grpcio server
# and client (scripts/grpc/, generic handlers, no generated code) on one HTTP/2 connection,
# captured with tcpdump on `lo`. Needs root (tcpdump); installs missing Debian packages.
# Usage: scripts/record-grpc.sh [OUT_DIR]   (default: captures/ next to this script)
#        PORT=NNNN to listen elsewhere than 50051.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(realpath -m "${1:-$here/../captures}")
port=${PORT:-50051}
py=/usr/bin/python3

need=()
for p in tcpdump:tcpdump capinfos:tshark; do
  command -v "${p%%:*}" >/dev/null || need+=("${p##*:}")
done
$py -c 'import grpc' 2>/dev/null || need+=(python3-grpcio)
if [ ${#need[@]} -gt 0 ]; then
  echo 'wireshark-common wireshark-common/install-setuid boolean false' | debconf-set-selections
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

work=$(mktemp -d)
srv='' tcpd=''
cleanup() {
  [ -n "$tcpd" ] && kill -INT "$tcpd" 2>/dev/null || true
  [ -n "$srv" ] && kill "$srv" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$out"

$py "$here/grpc/server.py" "$port" 30 & srv=$!
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done

f="$out/grpc-python.pcap"
rm -f "$f"
tcpdump -i lo --immediate-mode -B 65536 -U -s 65600 -w "$f" "tcp port $port" 2>"$work/tcpdump.err" & tcpd=$!
for _ in $(seq 1 100); do grep -q 'listening on' "$work/tcpdump.err" && break; sleep 0.05; done
$py "$here/grpc/client.py" "$port"
sleep 0.5
kill -INT "$tcpd"; wait "$tcpd" || true; tcpd=''
if grep -E '^[1-9][0-9]* packets dropped' "$work/tcpdump.err" >&2; then echo 'tcpdump dropped packets: record again' >&2; exit 1; fi

# Eight calls: one :method each (several HEADERS frames may share a packet).
n=$(tshark -r "$f" -n -d "tcp.port==$port,http2" -T fields -e http2.header.name -Y 'http2.type==1' 2>/dev/null | grep -o ':method' | wc -l)
[ "$n" = 8 ] || { echo "$f: $n calls, expected 8: record again" >&2; exit 1; }
printf '%-24s %6s packets %8s bytes\n' grpc-python.pcap \
  "$(capinfos -M -c "$f" | awk -F': *' '/Number of packets/ {print $2}')" "$(stat -c %s "$f")"
