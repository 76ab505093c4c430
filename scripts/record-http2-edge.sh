#!/usr/bin/env bash
# Records two HTTP/2 captures from real traffic on loopback, with tcpdump on `lo`:
# - captures/http2-h1-port.pcap: nginx h2c with prior knowledge (`listen … http2`, no TLS) on
#   127.0.0.1:18208, a port the tests give to HTTP/1 (rule `http:18208`, or rewritten to 8080),
#   driven by curl --http2-prior-knowledge, nghttp and h2load (h2load with 1 MiB frames and
#   windows: nginx, http2_chunk_size 64k, sends the 20 KB page as one DATA frame);
# - captures/http2-big-frames.pcap: scripts/http2/big-frame-server.py on 127.0.0.1:18209, which
#   writes HEADERS and a 17 KB DATA frame together (nginx writes them apart), to clients allowing
#   1 MiB frames (scripts/http2/big-frame-client.py): an HTTP/1.1 Upgrade whose settings travel
#   in HTTP2-Settings, and a prior-knowledge connection whose settings exchange happened before
#   tcpdump started (a tap joining a live connection).
# Needs root (tcpdump); installs missing Debian packages.
# Usage: scripts/record-http2-edge.sh [OUT_DIR]   (default: captures/ next to this script)
#        PORT=NNNN (nginx, default 18208) and BIG_PORT=NNNN (default 18209) to move them
#        (update test/golden/http2-edge.test.ts then).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/record-common.sh" "$@"
port=${PORT:-18208}
big_port=${BIG_PORT:-18209}
py=/usr/bin/python3

install_missing tcpdump:tcpdump nginx:nginx curl:curl h2load:nghttp2-client nghttp:nghttp2-client \
  capinfos:tshark 'import h2:python3-h2'

bindable "$port" tcp 127.0.0.1 || { echo "port $port is busy: set PORT to a free high port" >&2; exit 1; }
bindable "$big_port" tcp 127.0.0.1 || { echo "port $big_port is busy: set BIG_PORT to a free high port" >&2; exit 1; }

mkdir -p "$work/www" "$work/logs"
chmod 755 "$work"  # nginx workers run unprivileged
echo '<html><body><h1>packetd h2c on an HTTP/1 port</h1></body></html>' > "$work/www/index.html"
head -c 15000 /dev/urandom | base64 > "$work/www/big.txt"  # 20 KB: more than one default-size frame

cat > "$work/nginx.conf" <<CONF
daemon off; worker_processes 1; pid $work/nginx.pid; error_log $work/logs/error.log;
events { worker_connections 64; }
http {
  access_log off;
  http2_chunk_size 64k;  # DATA frames as large as the client allows
  types { text/html html; text/plain txt; }
  server {
    listen 127.0.0.1:$port http2;
    root $work/www;
    location /missing { return 404; }
  }
}
CONF
nginx -c "$work/nginx.conf" -p "$work" -e "$work/logs/error.log" & servers+=($!)
wait_for 5 curl -s -o /dev/null --http2-prior-knowledge "http://127.0.0.1:$port/"

base="http://127.0.0.1:$port"
start_capture "$out/http2-h1-port.pcap"
curl -s -o /dev/null --http2-prior-knowledge "$base/"
curl -s -o /dev/null --http2-prior-knowledge "$base/missing"
nghttp -n "$base/index.html" "$base/missing?n=2"
h2load -n 1 -c 1 -m 1 -w 30 -W 30 -f 1048576 "$base/big.txt" >"$work/h2load.out" || { cat "$work/h2load.out" >&2; exit 1; }
stop_capture

$py "$here/http2/big-frame-server.py" "$big_port" 30 17000 & servers+=($!)
wait_for 5 port_open "$big_port"
# The late client settles its settings first; tcpdump starts after, then it sends its requests.
$py "$here/http2/big-frame-client.py" "$big_port" late "$work/ready" "$work/go" & late=$!
wait_for 5 test -e "$work/ready"
start_capture "$out/http2-big-frames.pcap" "tcp port $big_port"
$py "$here/http2/big-frame-client.py" "$big_port" upgrade
touch "$work/go"
wait "$late"
stop_capture

# Every stream tshark reads: 2 curl + 2 nghttp + 1 h2load.
expect_count "$out/http2-h1-port.pcap" streams 5 "$(count_fields "$out/http2-h1-port.pcap" http2.headers.status -d "tcp.port==$port,http2")"
summarize "$out/http2-h1-port.pcap"
summarize "$out/http2-big-frames.pcap"
