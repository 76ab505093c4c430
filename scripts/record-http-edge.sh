#!/usr/bin/env bash
# Records the HTTP/1 edge-case captures from real traffic on loopback (tcpdump on `lo`):
# - http-early-response.pcap: nginx answering uploads before their bodies arrive (`return`,
#   401 from auth_basic, 413 from client_max_body_size), with and without Expect: 100-continue,
#   a multipart upload, a PUT that reads its body (100 Continue, then 201), a keep-alive
#   POST + GET; curl clients, 70 KB bodies (4 KB where the body's timing does not matter).
# - http-loss-ab.pcap, http-loss-sequential.pcap, http-loss-pipelined.pcap: `ab -k -n 200 -c 1`
#   on a small file; a keep-alive client fetching 12 files of 4-8 KB one after the other
#   through a small receive window (responses span segments); a raw client pipelining 30
#   requests for files of 100 B-3 KB, read slowly (responses start mid-segment);
#   recorded without loss. The tests remove recorded packets from them with
#   scripts/captures/drop-packets.py (capture loss simulated:
#   on lo, tcpdump sees a packet before an ingress drop rule would, so a drop rule gives
#   retransmissions, not capture gaps).
# - http-retransmit.pcap: `ab -k -n 200 -c 4` on a 2 KB file with real loss on lo (an
#   nftables netdev ingress drop of 4 % of the port's segments): the endpoints retransmit, and
#   the capture holds the lost segments and their retransmissions.
# - http-connect.pcap: curl through a CONNECT proxy (a python relay in this script): plain
#   HTTP inside the tunnel (two requests, a POST), TLS inside (a ClientHello), a refused CONNECT.
# Ports 18100 (nginx), 18101 (nginx, loss captures), 18102 (the proxy), on 127.0.0.1.
# Needs root (tcpdump); installs missing Debian packages.
# Usage: scripts/record-http-edge.sh [OUT_DIR]   (default: captures/ next to this script)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/record-common.sh" "$@"
port=18100
loss_port=18101
proxy_port=18102

install_missing tcpdump:tcpdump nginx:nginx curl:curl ab:apache2-utils python3:python3 capinfos:tshark

for p in $port $loss_port $proxy_port; do
  bindable "$p" tcp 127.0.0.1 || { echo "port $p is busy" >&2; exit 1; }
done

mkdir -p "$work/www/f" "$work/www/put" "$work/logs" "$work/tmp"
chmod -R 755 "$work"  # nginx workers run unprivileged
chown nobody "$work/www/put" "$work/tmp" 2>/dev/null || true
echo '<html><body><h1>packetd edge cases</h1></body></html>' > "$work/www/index.html"
echo 'small' > "$work/www/s.txt"
# Files of 100 B to 3 KB for the pipelined client: response boundaries fall mid-segment.
for i in $(seq 1 30); do head -c $((100 + (i * 97) % 2900)) /dev/zero | tr '\0' 'x' > "$work/www/f/$i.txt"; done
# 4-8 KB for the sequential client: each response spans several segments.
mkdir -p "$work/www/g"
for i in $(seq 1 12); do head -c $((4000 + (i * 331) % 4000)) /dev/zero | tr '\0' 'y' > "$work/www/g/$i.txt"; done
head -c 70000 /dev/urandom | base64 -w 76 | head -c 70000 > "$work/body70k"
head -c 4000 "$work/body70k" > "$work/body4k"
# No client sends credentials: every request there is answered 401.
echo 'user:{PLAIN}secret' > "$work/htpasswd"

cat > "$work/nginx.conf" <<CONF
daemon off; worker_processes 1; pid $work/nginx.pid; error_log $work/logs/error.log;
events { worker_connections 64; }
http {
  access_log off;
  types { text/html html; text/plain txt; }
  sendfile off;  # written by write(): consecutive pipelined responses share segments
  client_body_temp_path $work/tmp;
  server {
    listen 127.0.0.1:$port;
    root $work/www;
    location = /r { return 200 "ok"; }  # answers before reading the body
    location = /small { client_max_body_size 1k; return 200 "ok"; }  # 413 on Content-Length
    location = /auth { auth_basic "packetd"; auth_basic_user_file $work/htpasswd; }  # 401 (\`return\` would run before the check)
    location /put/ { dav_methods PUT; client_max_body_size 1m; }  # reads the body
  }
  server {
    listen 127.0.0.1:$loss_port;
    root $work/www;
    keepalive_requests 1000;
  }
}
CONF
nginx -c "$work/nginx.conf" -p "$work" -e "$work/logs/error.log" & servers+=($!)
wait_for 5 curl -s -o /dev/null "http://127.0.0.1:$port/"
wait_for 5 curl -s -o /dev/null "http://127.0.0.1:$loss_port/"

base="http://127.0.0.1:$port"
c() { curl -s -o /dev/null --max-time 5 "$@" || true; }

start_capture "$out/http-early-response.pcap"
# 70 KB bodies where the answer comes while the body is on its way; 4 KB where it does not matter.
c -H 'Expect: 100-continue' --data-binary @"$work/body70k" "$base/r"
c -F "file=@$work/body70k" "$base/r"
c -H 'Expect: 100-continue' --data-binary @"$work/body70k" "$base/small"
c -H 'Expect:' --data-binary @"$work/body4k" "$base/small"
c -H 'Expect: 100-continue' --data-binary @"$work/body70k" "$base/auth"
c -H 'Expect:' --data-binary @"$work/body4k" "$base/auth"
c -H 'Expect: 100-continue' -T "$work/body4k" "$base/put/upload.bin"
c --data-binary 'name=packetd' "$base/r" --next -o /dev/null "$base/index.html"
stop_capture

start_capture "$out/http-loss-ab.pcap" "tcp port $loss_port"
ab -q -k -n 200 -c 1 "http://127.0.0.1:$loss_port/s.txt" >/dev/null
stop_capture

# Real loss: an nftables netdev ingress rule on lo drops 4 % of this port's segments after
# tcpdump has seen them, so the endpoints retransmit (timeouts, fast retransmits, SACK) and the
# capture holds each lost segment twice: `ab -k -c 4` on a 2 KB file. Only this port's traffic
# is dropped, and the table goes as soon as ab is done.
drop_table=packetd_http_edge_loss
remove_drop_rule() { nft delete table netdev "$drop_table" 2>/dev/null || true; }
cleanup_hooks+=(remove_drop_rule)
nft add table netdev "$drop_table"
nft add chain netdev "$drop_table" in "{ type filter hook ingress device lo priority 0; }"
nft add rule netdev "$drop_table" in tcp sport "$loss_port" numgen random mod 100 '<' 4 drop
nft add rule netdev "$drop_table" in tcp dport "$loss_port" numgen random mod 100 '<' 4 drop
start_capture "$out/http-retransmit.pcap" "tcp port $loss_port"
ab -q -k -n 200 -c 4 "http://127.0.0.1:$loss_port/f/20.txt" >/dev/null
stop_capture
remove_drop_rule

# A keep-alive client waiting for each response, with a 2 KB receive buffer: the server's
# segments follow its small window, so a 4-8 KB response spans several.
start_capture "$out/http-loss-sequential.pcap" "tcp port $loss_port"
python3 - "$loss_port" <<'PY'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
s.connect(('127.0.0.1', int(sys.argv[1])))
for i in range(1, 13):
    s.sendall(b'GET /g/%d.txt HTTP/1.1\r\nHost: localhost\r\n\r\n' % i)
    data = b''
    while b'\r\n\r\n' not in data:
        data += s.recv(4096)
    head, _, body = data.partition(b'\r\n\r\n')
    length = int([l.split(b':')[1] for l in head.split(b'\r\n') if l.lower().startswith(b'content-length')][0])
    while len(body) < length:
        body += s.recv(4096)
s.close()
PY
stop_capture

start_capture "$out/http-loss-pipelined.pcap" "tcp port $loss_port"
# The client reads slowly through a 2 KB receive window: the server's queued responses leave
# packed into window-sized segments, so responses begin mid-segment, right after body bytes.
python3 - "$loss_port" <<'PY'
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
s.connect(('127.0.0.1', int(sys.argv[1])))
reqs = b''.join(b'GET /f/%d.txt HTTP/1.1\r\nHost: localhost\r\n\r\n' % i for i in range(1, 30))
s.sendall(reqs + b'GET /f/30.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n')
time.sleep(0.3)
while s.recv(1024):
    time.sleep(0.001)
s.close()
PY
stop_capture

# A CONNECT proxy: tunnels to ports 18100-18199 of 127.0.0.1 only, refuses anything else (403).
cat > "$work/proxy.py" <<'PY'
import socket, sys, threading
def pipe(a, b):
    try:
        while True:
            data = a.recv(65536)
            if not data:
                break
            b.sendall(data)
    except OSError:
        pass
    for s in (a, b):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
def serve(client):
    head = b''
    while b'\r\n\r\n' not in head:
        data = client.recv(4096)
        if not data:
            return client.close()
        head += data
    method, target = head.split(b' ')[:2]
    host, _, port = target.rpartition(b':')
    if method != b'CONNECT' or host != b'127.0.0.1' or not 18100 <= int(port or 0) <= 18199:
        client.sendall(b'HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n')
        return client.close()
    upstream = socket.create_connection(('127.0.0.1', int(port)))
    client.sendall(b'HTTP/1.1 200 Connection established\r\n\r\n')
    threading.Thread(target=pipe, args=(upstream, client), daemon=True).start()
    pipe(client, upstream)
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(('127.0.0.1', int(sys.argv[1])))
listener.listen(8)
listener.settimeout(60)
while True:
    conn, _ = listener.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
PY
python3 "$work/proxy.py" "$proxy_port" & servers+=($!)
wait_for 5 port_open "$proxy_port"

proxy="http://127.0.0.1:$proxy_port"
start_capture "$out/http-connect.pcap" "tcp port $proxy_port"
c -p -x "$proxy" "$base/index.html" -o /dev/null "$base/missing"
c -p -x "$proxy" --data-binary 'a=1' "$base/r"
c -p -x "$proxy" -k "https://127.0.0.1:$port/"
c -p -x "$proxy" "http://127.0.0.1:9/"
stop_capture

# Capture loss, simulated: the frames to leave out, picked seeded at random (2-12 % of the payload
# segments); test/golden/http-loss.test.ts names the frames it removes (update it after re-recording).
drop="$here/captures/drop-packets.py"
python3 "$drop" "$out/http-loss-ab.pcap" "$work/ab-gaps.pcap" --port "$loss_port" --server-rate 0.04 --client-rate 0.02 --seed 9
python3 "$drop" "$out/http-loss-sequential.pcap" "$work/sequential-gaps.pcap" --port "$loss_port" --server-rate 0.12 --client-rate 0.1 --seed 9
python3 "$drop" "$out/http-loss-pipelined.pcap" "$work/pipelined-gaps.pcap" --port "$loss_port" --server-rate 0.1 --client-rate 0 --seed 9

expect_count "$out/http-loss-ab.pcap" requests 200 "$(count_fields "$out/http-loss-ab.pcap" http.request.method -d "tcp.port==$loss_port,http")"
expect_count "$out/http-retransmit.pcap" responses 200 "$(count_fields "$out/http-retransmit.pcap" http.response.code -d "tcp.port==$loss_port,http")"
for f in http-early-response http-loss-ab http-retransmit http-loss-sequential http-loss-pipelined http-connect; do
  summarize "$out/$f.pcap"
done
