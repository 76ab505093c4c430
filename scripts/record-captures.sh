#!/usr/bin/env bash
# Records the bundled HTTP captures (captures/*.pcap) from real traffic on loopback: an nginx
# with its own config in a temp dir, driven by curl, ab and a raw-socket client (python3),
# captured with tcpdump on `lo`. Needs root (tcpdump); installs missing Debian packages.
# Usage: scripts/record-captures.sh [OUT_DIR]   (default: captures/ next to this script)
#        PORT=NNNN to listen elsewhere than 8080 (update pipeline.yaml and captures/README.md then).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/record-common.sh" "$@"
port=${PORT:-8080}

install_missing tcpdump:tcpdump nginx:nginx curl:curl ab:apache2-utils python3:python3 capinfos:tshark

bindable "$port" tcp 127.0.0.1 ::1 || { echo "port $port is busy: set PORT to a free high port" >&2; exit 1; }

mkdir -p "$work/www/static" "$work/logs"
chmod 755 "$work"  # nginx workers run unprivileged
echo '<html><body><h1>packetd test page</h1></body></html>' > "$work/www/index.html"
# Half text, half random: gzipped it still fills nginx's gzip buffers several times.
{ for i in $(seq 1 200); do echo "line $i of a compressible text file served by nginx"; done
  head -c 9000 /dev/urandom | base64; } > "$work/www/static/big.txt"
echo '{"ok":true,"items":[1,2,3]}' > "$work/www/static/api.json"

cat > "$work/nginx.conf" <<CONF
daemon off; worker_processes 1; pid $work/nginx.pid; error_log $work/logs/error.log;
events { worker_connections 64; }
http {
  access_log off;
  types { text/html html; text/plain txt; application/json json; }
  # gzip drops Content-Length: HTTP/1.1 answers go chunked, HTTP/1.0 ones end at close.
  gzip on; gzip_min_length 0; gzip_types *; gzip_http_version 1.0;
  gzip_buffers 2 4k;  # small buffers: a gzipped response leaves in several chunks
  server {
    listen 127.0.0.1:$port; listen [::1]:$port;
    root $work/www;
    location /missing { return 404; }
    location /fail { return 500; }
    location /nocontent { return 204; }
    location /echo { client_max_body_size 1m; return 200 '{"received":true}\n'; }
  }
}
CONF
nginx -c "$work/nginx.conf" -p "$work" -e "$work/logs/error.log" & servers+=($!)
wait_for 5 curl -s -o /dev/null "http://127.0.0.1:$port/"

base="http://127.0.0.1:$port"
c() { curl -s -o /dev/null "$@"; }
# several URLs on one command line: curl reuses the keep-alive connection.
c_many() { local args=(); for u in "$@"; do args+=(-o /dev/null "$u"); done; curl -s -g "${args[@]}"; }

# Main mixed capture: what pipeline.yaml and `npm start` replay.
start_capture "$out/http-nginx.pcap"
c "$base/"
c -I "$base/index.html"
c -X POST -H 'Content-Type: application/json' --data '{"name":"packetd","n":1}' "$base/echo"
c "$base/missing"
c "$base/fail"
c "$base/nocontent"
c -z "$work/www/index.html" "$base/index.html"
c --compressed "$base/static/big.txt"
c -0 "$base/static/api.json"
c -0 --compressed "$base/static/big.txt"
c_many "$base/static/api.json" "$base/index.html" "$base/missing" "$base/static/big.txt"
c -H 'traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' \
  -H 'tracestate: vendor=opaque' "$base/static/api.json?trace=1"
c -H 'Authorization: Bearer s3cr3t-token-value' -H 'Cookie: session=abc123; theme=dark' \
  "$base/index.html?user=alice"
stop_capture

# ab: 50 keep-alive requests over 2 concurrent connections.
start_capture "$out/http-ab-keepalive.pcap"
ab -q -k -n 50 -c 2 "$base/static/api.json" >/dev/null
stop_capture

# Pipelining: every request written before any response is read, on one connection.
start_capture "$out/http-pipelined.pcap"
python3 - "$port" <<'PY'
import socket, sys
port = int(sys.argv[1])
body = b'{"pipelined":true}'
reqs = (b'GET /index.html HTTP/1.1\r\nHost: localhost\r\n\r\n'
        b'GET /missing HTTP/1.1\r\nHost: localhost\r\n\r\n'
        b'POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n'
        b'Content-Length: ' + str(len(body)).encode() + b'\r\n\r\n' + body +
        b'HEAD /static/api.json HTTP/1.1\r\nHost: localhost\r\n\r\n'
        b'GET /static/big.txt HTTP/1.1\r\nHost: localhost\r\nAccept-Encoding: gzip\r\n\r\n'
        b'GET /fail HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n')
s = socket.create_connection(('127.0.0.1', port))
s.sendall(reqs)
while s.recv(65536):
    pass
s.close()
PY
stop_capture

# IPv6 on ::1.
start_capture "$out/http-ipv6.pcap"
c_many "http://[::1]:$port/index.html" "http://[::1]:$port/missing"
c -g -X POST --data 'a=1&b=2' "http://[::1]:$port/echo"
c -g --compressed "http://[::1]:$port/static/big.txt"
stop_capture

# Each capture must hold every request the clients sent (tshark counts them).
for expect in http-nginx:16 http-ab-keepalive:50 http-pipelined:6 http-ipv6:4; do
  f=$out/${expect%%:*}.pcap
  expect_count "$f" requests "${expect##*:}" "$(count_fields "$f" http.request.method -d "tcp.port==$port,http")"
done
for f in http-nginx http-ab-keepalive http-pipelined http-ipv6; do summarize "$out/$f.pcap"; done
# The HTTP/1 edge cases (early responses, CONNECT, capture loss), on ports 18100-18102.
"$here/record-http-edge.sh" "$@"
