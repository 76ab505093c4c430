#!/usr/bin/env bash
# Records the reassembly captures (captures/tcp-stray-rst.pcap, captures/dns-tcp-held.pcap):
# real traffic on loopback (nginx driven by curl; dnsmasq queried by mdig and dig over TCP),
# captured with tcpdump on `lo`, then edited where no server produces the case: RSTs a third
# party injects (scripts/reassembly/inject-rst.py) and packets the tap saw out of order or
# lost (scripts/reassembly/hold-dns.py). Needs root (tcpdump); installs missing Debian packages.
# Usage: scripts/record-reassembly.sh [OUT_DIR]   (default: captures/ next to this script)
#        HTTP_PORT / DNS_PORT to listen elsewhere than 18380 / 18353.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/record-common.sh" "$@"
http_port=${HTTP_PORT:-18380}
dns_port=${DNS_PORT:-18353}

install_missing tcpdump:tcpdump nginx:nginx curl:curl dnsmasq:dnsmasq-base dig:dnsutils \
  'import scapy:python3-scapy' capinfos:tshark

bindable "$http_port" tcp 127.0.0.1 || { echo "port $http_port is busy: set HTTP_PORT to a free port" >&2; exit 1; }
bindable "$dns_port" tcp 127.0.0.1 || { echo "port $dns_port is busy: set DNS_PORT to a free port" >&2; exit 1; }

# HTTP: three connections, each an exchange a RST is injected into afterwards.
mkdir -p "$work/www" "$work/logs"
chmod 755 "$work"  # nginx workers run unprivileged
echo '<html><body><h1>packetd test page</h1></body></html>' > "$work/www/index.html"
cat > "$work/nginx.conf" <<CONF
daemon off; worker_processes 1; pid $work/nginx.pid; error_log $work/logs/error.log;
events { worker_connections 64; }
http {
  access_log off;
  types { text/html html; }
  server {
    listen 127.0.0.1:$http_port;
    root $work/www;
    location /missing { return 404; }
    location /echo { return 200 '{"received":true}\n'; }
  }
}
CONF
nginx -c "$work/nginx.conf" -p "$work" -e "$work/logs/error.log" & servers+=($!)
wait_for 5 curl -s -o /dev/null "http://127.0.0.1:$http_port/"

base="http://127.0.0.1:$http_port"
port=$http_port
start_capture "$work/http.pcap"
curl -s -o /dev/null "$base/index.html"
curl -s -o /dev/null -o /dev/null "$base/index.html" "$base/missing"
curl -s -o /dev/null -X POST -H 'Content-Type: application/json' --data '{"name":"packetd"}' "$base/echo"
stop_capture
/usr/bin/python3 "$here/reassembly/inject-rst.py" "$work/http.pcap" "$out/tcp-stray-rst.pcap" "$http_port"

# DNS over TCP: two pipelined queries on one connection (mdig), two one after the other on
# another (dig +keepopen).
dnsmasq --no-daemon --conf-file=/dev/null --pid-file= --user="$(id -un)" \
  --port="$dns_port" --listen-address=127.0.0.1 --bind-interfaces --no-resolv --no-hosts \
  --address=/test.example/10.1.2.3 2>"$work/dnsmasq.err" & servers+=($!)
wait_for 5 dig @127.0.0.1 -p "$dns_port" +tcp +tries=1 +timeout=1 +short a.test.example

port=$dns_port
start_capture "$work/dns.pcap"
mdig @127.0.0.1 -p "$dns_port" +tcp a.test.example b.test.example >/dev/null
dig @127.0.0.1 -p "$dns_port" +tcp +keepopen +tries=1 +timeout=2 c.test.example d.test.example >/dev/null
stop_capture
/usr/bin/python3 "$here/reassembly/hold-dns.py" "$work/dns.pcap" "$out/dns-tcp-held.pcap" "$dns_port"

# Every transaction is still there for tshark. Its sequence analysis takes an injected RST's
# number as where the sender is, and then skips the data after it as retransmitted: off.
rst_http=(-d "tcp.port==$http_port,http" -o tcp.analyze_sequence_numbers:FALSE)
expect_count "$out/tcp-stray-rst.pcap" 'HTTP requests' 4 "$(count_fields "$out/tcp-stray-rst.pcap" http.request.method "${rst_http[@]}")"
expect_count "$out/tcp-stray-rst.pcap" 'HTTP responses' 4 "$(count_fields "$out/tcp-stray-rst.pcap" http.response.code "${rst_http[@]}")"
# One query is cut out of the DNS capture (the tap lost it). tshark reads the held queries only
# in part (not out of order by default), so their segments are counted.
expect_count "$out/dns-tcp-held.pcap" 'query segments' 3 "$(count_fields "$out/dns-tcp-held.pcap" frame.number -Y "tcp.dstport==$dns_port && tcp.len>0")"
for f in tcp-stray-rst dns-tcp-held; do summarize "$out/$f.pcap"; done
