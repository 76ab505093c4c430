#!/usr/bin/env bash
# Records captures/grpc-python.pcap from real gRPC traffic on loopback: a python3-grpcio server
# and client (scripts/grpc/, generic handlers, no generated code) on one HTTP/2 connection,
# captured with tcpdump on `lo`. Needs root (tcpdump); installs missing Debian packages.
# Usage: scripts/record-grpc.sh [OUT_DIR]   (default: captures/ next to this script)
#        PORT=NNNN to listen elsewhere than 50051.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/record-common.sh" "$@"
port=${PORT:-50051}
py=/usr/bin/python3

install_missing tcpdump:tcpdump capinfos:tshark 'import grpc:python3-grpcio'

$py "$here/grpc/server.py" "$port" 30 & servers+=($!)
wait_for 10 port_open "$port"

f="$out/grpc-python.pcap"
start_capture "$f"
$py "$here/grpc/client.py" "$port"
stop_capture

# Eight calls: one :method each (several HEADERS frames may share a packet).
expect_count "$f" calls 8 "$(tshark -r "$f" -n -d "tcp.port==$port,http2" -T fields -e http2.header.name -Y 'http2.type==1' 2>/dev/null | grep -o ':method' | wc -l)"
summarize "$f"
