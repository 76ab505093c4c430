#!/usr/bin/env bash
# Records the HTTP/2 captures (captures/http2-*.pcap) from real traffic on loopback, with
# tcpdump on `lo`: nginx serving h2c with prior knowledge (`listen … http2` without TLS, nginx
# 1.22's syntax) driven by h2load and curl, and an HTTP/1.1 → h2c Upgrade answered by a tiny
# python3-h2 server (scripts/http2/h2c-upgrade-server.py; nginx does not upgrade) for curl --http2.
# Needs root (tcpdump); installs missing Debian packages.
# Usage: scripts/record-http2.sh [OUT_DIR]   (default: captures/ next to this script)
#        PORT=NNNN (nginx, default 18443) and UPGRADE_PORT=NNNN (default 18444) to move them.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/record-common.sh" "$@"
port=${PORT:-18443}
upgrade_port=${UPGRADE_PORT:-18444}
py=/usr/bin/python3

install_missing tcpdump:tcpdump nginx:nginx curl:curl h2load:nghttp2-client nghttp:nghttp2-client \
  capinfos:tshark 'import h2:python3-h2'

mkdir -p "$work/www/static" "$work/logs"
chmod 755 "$work"  # nginx workers run unprivileged
echo '<html><body><h1>packetd h2c test page</h1></body></html>' > "$work/www/index.html"
head -c 15000 /dev/urandom | base64 > "$work/www/static/big.txt"  # several DATA frames

cat > "$work/nginx.conf" <<CONF
daemon off; worker_processes 1; pid $work/nginx.pid; error_log $work/logs/error.log;
events { worker_connections 64; }
http {
  access_log off;
  types { text/html html; text/plain txt; }
  server {
    listen 127.0.0.1:$port http2;
    root $work/www;
    location /missing { return 404; }
    location /fail { return 500; }
    location /echo { client_max_body_size 1m; return 200 '{"received":true}\n'; }
  }
}
CONF
nginx -c "$work/nginx.conf" -p "$work" -e "$work/logs/error.log" & servers+=($!)
wait_for 5 curl -s -o /dev/null --http2-prior-knowledge "http://127.0.0.1:$port/"

base="http://127.0.0.1:$port"
c() { curl -s -o /dev/null --http2-prior-knowledge "$@"; }

# Prior knowledge: one curl per exchange, then nghttp with several streams on one connection.
start_capture "$out/http2-nginx.pcap"
c "$base/"
c "$base/missing"
c "$base/fail"
c -X POST -H 'Content-Type: application/json' --data '{"name":"packetd","n":1}' "$base/echo"
c --compressed "$base/static/big.txt"
c -H 'traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' -H 'tracestate: vendor=opaque' "$base/index.html?trace=1"
c -H 'Authorization: Bearer s3cr3t-token-value' -H 'Cookie: session=abc123' "$base/index.html?user=alice"
# nghttp: three concurrent streams on one connection (curl 7.88 fails to reuse a prior-knowledge connection).
nghttp -n "$base/index.html" "$base/missing" "$base/index.html?again=1"
stop_capture

# h2load: 2 connections, 4 concurrent streams each, 40 requests; the dynamic table fills up.
start_capture "$out/http2-h2load.pcap"
h2load -n 40 -c 2 -m 4 "$base/index.html" >"$work/h2load.out" || { cat "$work/h2load.out" >&2; exit 1; }
stop_capture

# HTTP/1.1 Upgrade to h2c: the upgrading GET becomes stream 1, then a second request on stream 3.
$py "$here/http2/h2c-upgrade-server.py" "$upgrade_port" 20 & servers+=($!)
wait_for 5 port_open "$upgrade_port"
start_capture "$out/http2-upgrade.pcap" "tcp port $upgrade_port"
curl -s --http2 -o /dev/null "http://127.0.0.1:$upgrade_port/upgrade" -o /dev/null "http://127.0.0.1:$upgrade_port/missing"
stop_capture

for f in http2-nginx http2-h2load http2-upgrade; do summarize "$out/$f.pcap"; done
