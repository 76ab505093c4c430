#!/usr/bin/env bash
# Records the bundled DNS captures (captures/dns-*.pcap) from real traffic on loopback: a
# dnsmasq answering from its command line (no resolver, no /etc/hosts), queried by dig
# over UDP and TCP, captured with tcpdump on `lo`. Needs root (tcpdump); installs missing
# Debian packages.
# Usage: scripts/record-dns.sh [OUT_DIR]   (default: captures/ next to this script)
#        PORT=NNNN to listen elsewhere than 53 (tshark then needs `-d udp.port==NNNN,dns`).
# dnsmasq listens on 127.0.0.1 and ::1; 127.0.0.2 (nothing listens: a query goes unanswered)
# and 127.0.0.3 (a failing upstream, not captured) must have the port free too.
# Then runs scripts/record-dns-edge.sh (the edge-case captures, on ports of their own).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/record-common.sh" "$@"
port=${PORT:-53}

install_missing tcpdump:tcpdump dnsmasq:dnsmasq-base dig:dnsutils python3:python3 capinfos:tshark

bindable "$port" udp+tcp 127.0.0.1 127.0.0.2 127.0.0.3 ::1 || { echo "port $port is busy on 127.0.0.1-3 or ::1: set PORT to a free port" >&2; exit 1; }

# An upstream for broken.test (not captured) that fails every query: dnsmasq relays its SERVFAIL.
python3 - "$port" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('127.0.0.3', int(sys.argv[1])))
s.settimeout(60)
while True:
    query, peer = s.recvfrom(4096)
    # Same id and question; QR and RA set, RCODE 2 (SERVFAIL), no records.
    s.sendto(query[:2] + bytes([0x80 | (query[2] & 0x79), 0x82]) + query[4:6] + bytes(6) + query[12:], peer)
PY
servers+=($!)

# Names under test/ are local: unknown ones get NXDOMAIN, not a forward; broken.test goes to
# the failing upstream; other names are REFUSED (no upstream).
args=(
  --no-daemon --conf-file=/dev/null --pid-file= --user="$(id -un)"
  --port="$port" --listen-address=127.0.0.1,::1 --bind-interfaces
  --no-resolv --no-hosts --local-ttl=300 --local=/test/
  --server="/broken.test/127.0.0.3#$port"
  --host-record=www.example.test,127.0.0.5,fd00::5
  --host-record=mail.example.test,127.0.0.6
  --cname=alias.example.test,www.example.test
  --mx-host=example.test,mail.example.test,10
  --txt-record=example.test,"v=spf1 -all","second string"
  --srv-host=_sip._udp.example.test,sip.example.test,5060,10,20
)
# 20 addresses: more than the 16 answers a record keeps by default.
for i in $(seq 1 20); do args+=(--host-record=many.example.test,127.0.1.$i); done
# Six long TXT strings: over 512 bytes, so a reply without EDNS is truncated (TC).
for i in 1 2 3 4 5 6; do
  args+=("--txt-record=big.example.test,chunk $i of a text record long enough that six of them need more than a 512-byte UDP reply")
done
dnsmasq "${args[@]}" 2>"$work/dnsmasq.err" & servers+=($!)
wait_for 5 dig @127.0.0.1 -p "$port" +tries=1 +timeout=1 +short www.example.test

filter="port $port and not host 127.0.0.3"  # both transports, the upstream left out
d() { dig @127.0.0.1 -p "$port" +tries=1 +timeout=2 "$@" >/dev/null || true; }

# UDP: one dig per query (a socket, so a conversation, each).
start_capture "$out/dns-udp.pcap" "$filter"
d www.example.test A
d www.example.test AAAA
d example.test MX
d example.test TXT
d nope.example.test A                  # NXDOMAIN
d alias.example.test A                 # CNAME then A
d _sip._udp.example.test SRV
d many.example.test A                  # 20 answers
d +dnssec www.example.test A           # EDNS with the DO bit
d +noedns mail.example.test A          # no OPT record
d +noedns +ignore big.example.test TXT # truncated (TC), not retried
d example.com A                        # REFUSED: not local, no upstream
d x.broken.test A                      # SERVFAIL, from the upstream
dig @::1 -p "$port" +tries=1 +timeout=2 www.example.test AAAA >/dev/null || true
dig @127.0.0.2 -p "$port" +tries=1 +timeout=1 www.example.test A >/dev/null 2>&1 || true  # unanswered
stop_capture

# TCP: several queries on one connection (+keepopen), and a UDP reply truncated then retried over TCP.
start_capture "$out/dns-tcp.pcap" "$filter"
d +tcp +keepopen www.example.test A www.example.test AAAA example.test MX example.test TXT nope.example.test A
d +tcp many.example.test A
d +noedns big.example.test TXT
stop_capture

# Each capture must hold every query sent (tshark counts them).
for expect in dns-udp:15 dns-tcp:8; do
  f=$out/${expect%%:*}.pcap
  expect_count "$f" queries "${expect##*:}" "$(count_fields "$f" dns.id -d "udp.port==$port,dns" -d "tcp.port==$port,dns" -Y 'dns.flags.response==0')"
done
for f in dns-udp dns-tcp; do summarize "$out/$f.pcap"; done
"$here/record-dns-edge.sh" "$out"
