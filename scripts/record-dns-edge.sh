#!/usr/bin/env bash
# Records the DNS edge-case captures from real traffic on loopback: dnsmasq answering from its
# command line, queried by dig, captured with tcpdump on `lo`. Needs root (tcpdump); installs
# missing Debian packages. Everything on 127.0.0.1, ports 18453 (dnsmasq) and 18454 (a slow
# upstream, not captured).
# Usage: scripts/record-dns-edge.sh [OUT_DIR]   (default: captures/ next to this script)
#   dns-edge.pcap         types seldom seen (NULL, HINFO, CAA, SVCB, HTTPS, a private type), and
#                         two retries of a query dnsmasq took 1.5 s to answer (it waits on a slow
#                         upstream): dig's (1 s timeout, the retry from a new socket: two
#                         conversations, each answered) and a stub resolver's as glibc's
#                         res_send does it (the same bytes again on the same socket: one
#                         conversation, two queries with one id, one answer)
#   dns-server-side.pcap  only what dnsmasq sent (filter `udp and src port 18453`), as a tap on
#                         the server's side of an asymmetric route sees it: responses, no query
# Then builds, with scapy, the captures that no server here produces (scripts/dns/build-handmade.py:
# dns-names-handmade.pcap, dns-lookalikes-handmade.pcap).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/record-common.sh" "$@"
port=18453
upstream=18454

install_missing tcpdump:tcpdump dnsmasq:dnsmasq-base dig:dnsutils python3:python3 capinfos:tshark 'import scapy.all:python3-scapy'

bindable "$port" udp+tcp 127.0.0.1 || { echo "port $port is busy on 127.0.0.1" >&2; exit 1; }
bindable "$upstream" udp 127.0.0.1 || { echo "port $upstream is busy on 127.0.0.1" >&2; exit 1; }

# An upstream for slow.example that answers every query 1.5 s late (one A record, 127.0.0.9).
python3 - "$upstream" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('127.0.0.1', int(sys.argv[1])))
s.settimeout(60)
while True:
    query, peer = s.recvfrom(4096)
    time.sleep(1.5)
    end = 12
    while query[end] != 0:
        end += 1 + query[end]
    end += 5
    answer = b'\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\x7f\x00\x00\x09'
    # Same id and question; QR, RD as asked, RA; one answer, no OPT.
    s.sendto(query[:2] + bytes([0x80 | (query[2] & 0x79), 0x80]) + query[4:6] + b'\x00\x01\x00\x00\x00\x00' + query[12:end] + answer, peer)
PY
servers+=($!)

args=(
  --no-daemon --conf-file=/dev/null --pid-file= --user="$(id -un)"
  --port="$port" --listen-address=127.0.0.1 --bind-interfaces
  --no-resolv --no-hosts --local-ttl=300 --local=/test/
  --server="/slow.example/127.0.0.1#$upstream"
  --host-record=www.example.test,127.0.0.5
  --dns-rr=null.example.test,10,0102030405                # NULL: opaque bytes
  --dns-rr=hinfo.example.test,13,05496E74656C054C696E7578 # HINFO "Intel" "Linux"
  --dns-rr=example.test,257,0005697373756563612E74657374   # CAA 0 issue "ca.test"
  --dns-rr=svc.example.test,64,000100                     # SVCB 1 .
  --dns-rr=web.example.test,65,000100                     # HTTPS 1 .
  --dns-rr=private.example.test,65280,CAFE                # a private-use type: no mnemonic
)
dnsmasq "${args[@]}" 2>"$work/dnsmasq.err" & servers+=($!)
wait_for 5 dig @127.0.0.1 -p "$port" +tries=1 +timeout=1 +short www.example.test

d() { dig @127.0.0.1 -p "$port" +tries=1 +timeout=2 "$@" >/dev/null || true; }

start_capture "$out/dns-edge.pcap" "port $port"
d null.example.test NULL
d hinfo.example.test HINFO
d example.test CAA
d svc.example.test SVCB
d web.example.test HTTPS
d private.example.test TYPE65280
dig @127.0.0.1 -p "$port" +tries=2 +timeout=1 www.slow.example A >/dev/null || true
python3 - "$port" <<'PY'
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1.0)
query = struct.pack('>HHHHHH', 0x5EED, 0x0100, 1, 0, 0, 0) + b'\x05again\x04slow\x07example\x00' + struct.pack('>HH', 1, 1)
server = ('127.0.0.1', int(sys.argv[1]))
s.sendto(query, server)
for attempt in range(2):
    try:
        while True:
            s.recvfrom(4096)
    except socket.timeout:
        if attempt == 0:
            s.sendto(query, server)
PY
stop_capture

start_capture "$out/dns-server-side.pcap" "udp and src port $port"
d www.example.test A
d nope.example.test A   # NXDOMAIN
d example.com A         # REFUSED: not local, no upstream
d null.example.test NULL
stop_capture

# tshark counts what each capture must hold.
tsh=(-d "udp.port==$port,dns")
expect_count "$out/dns-edge.pcap" queries 10 "$(count_fields "$out/dns-edge.pcap" dns.id "${tsh[@]}" -Y 'dns.flags.response==0')"
expect_count "$out/dns-edge.pcap" responses 9 "$(count_fields "$out/dns-edge.pcap" dns.id "${tsh[@]}" -Y 'dns.flags.response==1')"
expect_count "$out/dns-server-side.pcap" responses 4 "$(count_fields "$out/dns-server-side.pcap" dns.id "${tsh[@]}" -Y 'dns.flags.response==1')"
expect_count "$out/dns-server-side.pcap" queries 0 "$(count_fields "$out/dns-server-side.pcap" dns.id "${tsh[@]}" -Y 'dns.flags.response==0')"
for f in dns-edge dns-server-side; do summarize "$out/$f.pcap"; done
/usr/bin/python3 "$here/dns/build-handmade.py" "$out"
for f in dns-names-handmade dns-lookalikes-handmade; do summarize "$out/$f.pcap"; done
