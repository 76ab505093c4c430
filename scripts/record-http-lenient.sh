#!/usr/bin/env bash
# Records captures/http-lenient.pcap: request and status lines a strict parser rejects, as a
# real server (nginx 1.22, own config in a temp dir) reads and answers them. A raw-socket python3
# client writes each odd request on a connection of its own (or a few on one keep-alive
# connection) and reads the answer to the close; tcpdump on `lo`. Needs root (tcpdump); installs
# missing Debian packages.
# Usage: scripts/record-http-lenient.sh [OUT_DIR]   (default: captures/ next to this script)
#        PORT=NNNN to listen elsewhere than 18280 (update test/protocols/http/lenient.test.ts then).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/record-common.sh" "$@"
port=${PORT:-18280}

install_missing tcpdump:tcpdump nginx:nginx python3:python3 capinfos:tshark

bindable "$port" tcp 127.0.0.1 || { echo "port $port is busy: set PORT to a free high port" >&2; exit 1; }

mkdir -p "$work/www" "$work/logs"
chmod 755 "$work"  # nginx workers run unprivileged
echo '<html><body>packetd lenient page</body></html>' > "$work/www/index.html"

# `return` sends any code up to 999 as three digits: 42 goes out as "042", 0 as "000".
cat > "$work/nginx.conf" <<CONF
daemon off; worker_processes 1; pid $work/nginx.pid; error_log $work/logs/error.log info;
events { worker_connections 64; }
http {
  access_log off;
  types { text/html html; }
  server {
    listen 127.0.0.1:$port;
    root $work/www;
    location /echo { client_max_body_size 1m; return 200 "echo\n"; }
    location /low { return 42 "low\n"; }
    location /zero { return 0 "zero\n"; }
    location /high { return 999 "high\n"; }
  }
}
CONF
nginx -c "$work/nginx.conf" -p "$work" -e "$work/logs/error.log" & servers+=($!)
wait_for 5 port_open "$port"

start_capture "$out/http-lenient.pcap"
python3 - "$port" <<'PY'
import socket, sys, time
port = int(sys.argv[1])

def connection(*requests):
    """One connection: each request written after the previous answer came (or 0.3 s passed), then read to the close."""
    s = socket.create_connection(('127.0.0.1', port))
    s.settimeout(0.3)
    for request in requests:
        s.sendall(request)
        try:
            while s.recv(65536):
                pass
        except socket.timeout:
            pass
    s.close()
    time.sleep(0.05)

H = b'Host: localhost\r\n'
# space_in_target: nginx answers 400 and closes.
connection(b'GET /a b HTTP/1.1\r\n' + H + b'\r\n')
# http09: no version, no headers; the answer is the bare body, ended by the close.
connection(b'GET /index.html\r\n')
# duplicate_content_length: the same value twice, two values, a list: 400 each, nginx reads no body.
connection(b'POST /echo HTTP/1.1\r\n' + H + b'Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello')
connection(b'POST /echo HTTP/1.1\r\n' + H + b'Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!')
connection(b'POST /echo HTTP/1.1\r\n' + H + b'Content-Length: 5, 5\r\n\r\nhello')
# transfer_encoding: a coding nginx does not know (501), and Content-Length beside chunked (400).
connection(b'POST /echo HTTP/1.1\r\n' + H + b'Transfer-Encoding: gzip\r\n\r\nhello')
connection(b'POST /echo HTTP/1.1\r\n' + H + b'Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n5\r\nhello\r\n0\r\n\r\n')
# version: HTTP/1.10 is read as 1.1 (keep-alive), then an ordinary request on the same connection.
connection(b'GET /index.html HTTP/1.10\r\n' + H + b'\r\n',
           b'GET /index.html HTTP/1.1\r\n' + H + b'Connection: close\r\n\r\n')
# status_code_range: 042, 000 and 999 on one keep-alive connection.
connection(b'GET /low HTTP/1.1\r\n' + H + b'\r\n',
           b'GET /zero HTTP/1.1\r\n' + H + b'\r\n',
           b'GET /high HTTP/1.1\r\n' + H + b'Connection: close\r\n\r\n')
# bare_lf: a head with LF-only line ends, then one ending LF CR LF, on one connection.
connection(b'GET /index.html HTTP/1.1\nHost: localhost\n\n',
           b'GET /index.html?crlf=1 HTTP/1.1\r\n' + H + b'Connection: close\n\r\n')
PY
stop_capture

# Every request nginx answered is in the capture: 13 responses, each with its status.
statuses=$(tshark -r "$out/http-lenient.pcap" -n -d "tcp.port==$port,http" -Y http.response -T fields -e http.response.code 2>/dev/null | tr '\n' ' ')
echo "tshark reads status codes: $statuses"
summarize "$out/http-lenient.pcap"
