#!/usr/bin/env bash
# Records the bundled memcached captures (captures/memcached-*.pcap) from real traffic on
# loopback: a memcached listening on 127.0.0.1 only, driven by a raw-socket client (python3)
# speaking the text protocol on one connection set and the binary protocol on another,
# captured with tcpdump on `lo`. Needs root (tcpdump); installs missing Debian packages.
# Usage: scripts/record-memcached.sh [OUT_DIR]   (default: captures/ next to this script)
#        PORT=NNNN to listen elsewhere than 11212 (a non-standard port: tests decode it as
#        memcached by rule, and tshark with decode-as).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(realpath -m "${1:-$here/../captures}")
port=${PORT:-11212}

need=()
for p in tcpdump:tcpdump memcached:memcached python3:python3 capinfos:tshark; do
  command -v "${p%%:*}" >/dev/null || need+=("${p##*:}")
done
if [ ${#need[@]} -gt 0 ]; then
  echo 'wireshark-common wireshark-common/install-setuid boolean false' | debconf-set-selections
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "port $port is busy: set PORT to a free high port" >&2; exit 1; fi

work=$(mktemp -d)
srv='' tcpd=''
cleanup() {
  [ -n "$tcpd" ] && kill -INT "$tcpd" 2>/dev/null || true
  [ -n "$srv" ] && kill "$srv" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

timeout 120 memcached -l 127.0.0.1 -p "$port" -U 0 -m 16 -u nobody & srv=$!
for _ in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done

start_capture() {
  rm -f "$1"
  tcpdump -i lo --immediate-mode -B 65536 -U -s 65600 -w "$1" "tcp port $port" 2>"$work/tcpdump.err" & tcpd=$!
  for _ in $(seq 1 100); do grep -q 'listening on' "$work/tcpdump.err" && return; sleep 0.05; done
  echo "tcpdump did not start: $(cat "$work/tcpdump.err")" >&2; exit 1
}
stop_capture() {
  sleep 0.5
  kill -INT "$tcpd"; wait "$tcpd" || true; tcpd=''
  if grep -E '^[1-9][0-9]* packets dropped' "$work/tcpdump.err" >&2; then echo 'tcpdump dropped packets: record again' >&2; exit 1; fi
}

# Text protocol: every command kind, hits and misses, noreply, errors, a pipelined batch, and a
# value sent with a 1000-byte MSS so its data block spans several segments.
start_capture "$out/memcached-text.pcap"
python3 - "$port" <<'PY'
import socket, sys, time
port = int(sys.argv[1])

def connect(mss=None):
    s = socket.socket()
    if mss:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, mss)
    s.connect(('127.0.0.1', port))
    return s

def exchange(s, data, pause=0.05):
    s.sendall(data)
    time.sleep(pause)
    s.setblocking(False)
    try:
        while s.recv(1 << 20):
            pass
    except BlockingIOError:
        pass
    s.setblocking(True)

s = connect()
for line in (
    b'set user:1 0 0 3\r\nada\r\n',
    b'add user:1 0 0 3\r\nbob\r\n',           # NOT_STORED
    b'add user:2 5 0 3\r\nbob\r\n',
    b'replace user:3 0 0 1\r\nx\r\n',         # NOT_STORED
    b'append user:1 0 0 4\r\n-lov\r\n',
    b'prepend user:1 0 0 1\r\n>\r\n',
    b'get user:1\r\n',                        # 1 hit
    b'get user:1 user:2 user:3 user:4\r\n',   # 2 hits, 2 misses
    b'get nothing\r\n',                       # miss
    b'gets user:2\r\n',
    b'cas user:2 0 0 3 1\r\ncas\r\n',         # EXISTS (wrong cas unique)
    b'set counter 0 0 1\r\n5\r\n',
    b'incr counter 10\r\n',
    b'decr counter 3\r\n',
    b'incr nothing 1\r\n',                    # NOT_FOUND
    b'touch user:1 300\r\n',
    b'gat 300 user:1 nothing\r\n',
    b'delete user:2\r\n',
    b'delete user:2\r\n',                     # NOT_FOUND
    b'set quiet 0 0 2 noreply\r\nhi\r\n',
    b'delete quiet noreply\r\n',
    b'incr user:1 1\r\n',                     # CLIENT_ERROR (not a number)
    b'bogus command\r\n',                     # ERROR
    b'stats\r\n',
    b'stats settings\r\n',
    b'version\r\n',
    b'verbosity 1\r\n',
    b'flush_all noreply\r\n',
):
    exchange(s, line)
exchange(s, b'set a 0 0 1\r\n1\r\nset b 0 0 1\r\n2\r\nget a b c\r\nincr a 1\r\ndelete b\r\n', 0.2)
exchange(s, b'quit\r\n')
s.close()

big = connect(mss=1000)
value = b'0123456789abcdef' * 512
exchange(big, b'set big 0 0 %d\r\n%s\r\n' % (len(value), value), 0.3)
exchange(big, b'get big\r\n', 0.3)
big.close()
PY
stop_capture

# Binary protocol: gets hit and miss, quiet gets ended by a noop (the server answers only the
# hits), quiet sets, mutations, errors, a multi-packet STAT, version, quitq.
start_capture "$out/memcached-binary.pcap"
python3 - "$port" <<'PY'
import socket, struct, sys, time
port = int(sys.argv[1])

def packet(opcode, key=b'', extras=b'', value=b'', opaque=0, cas=0):
    body = extras + key + value
    return struct.pack('>BBHBBHIIQ', 0x80, opcode, len(key), len(extras), 0, 0, len(body), opaque, cas) + body

GET, SET, ADD, DELETE, INCR, NOOP, VERSION, GETK, GETQ, GETKQ, STAT, SETQ, QUITQ, TOUCH, APPEND = \
    0x00, 0x01, 0x02, 0x04, 0x05, 0x0a, 0x0b, 0x0c, 0x09, 0x0d, 0x10, 0x11, 0x17, 0x1c, 0x0e
flags_exp = struct.pack('>II', 0, 0)

def exchange(s, data, pause=0.05):
    s.sendall(data)
    time.sleep(pause)
    s.setblocking(False)
    try:
        while s.recv(1 << 20):
            pass
    except BlockingIOError:
        pass
    s.setblocking(True)

s = socket.create_connection(('127.0.0.1', port))
exchange(s, packet(SET, b'k1', flags_exp, b'one', opaque=1))
exchange(s, packet(GET, b'k1', opaque=2))                        # hit
exchange(s, packet(GET, b'missing', opaque=3))                   # miss (status 1)
exchange(s, packet(ADD, b'k1', flags_exp, b'dup', opaque=4))     # exists (status 2)
exchange(s, packet(SETQ, b'k2', flags_exp, b'two', opaque=5) + packet(SETQ, b'k3', flags_exp, b'three', opaque=6) + packet(NOOP, opaque=7))
exchange(s, packet(GETQ, b'k1', opaque=8) + packet(GETKQ, b'nope', opaque=9) + packet(GETKQ, b'k2', opaque=10) + packet(GETQ, b'nada', opaque=11) + packet(NOOP, opaque=12))
exchange(s, packet(GETK, b'k3', opaque=13))
exchange(s, packet(INCR, b'n', struct.pack('>QQI', 1, 10, 0), opaque=14))
exchange(s, packet(INCR, b'k1', struct.pack('>QQI', 1, 0, 0), opaque=15))  # non-numeric (status 6)
exchange(s, packet(APPEND, b'k1', b'', b'+', opaque=16))
exchange(s, packet(TOUCH, b'k1', struct.pack('>I', 300), opaque=17))
exchange(s, packet(DELETE, b'k2', opaque=18))
exchange(s, packet(DELETE, b'k2', opaque=19))                    # not found
exchange(s, packet(STAT, opaque=20), 0.2)
exchange(s, packet(VERSION, opaque=21))
exchange(s, packet(QUITQ, opaque=22))
s.close()
PY
stop_capture

for f in memcached-text memcached-binary; do
  printf '%-24s %6s packets %8s bytes %5s requests (tshark)\n' "$f.pcap" \
    "$(capinfos -M -c "$out/$f.pcap" | awk -F': *' '/Number of packets/ {print $2}')" \
    "$(stat -c %s "$out/$f.pcap")" \
    "$(tshark -r "$out/$f.pcap" -n -d "tcp.port==$port,memcache" -Y "memcache && tcp.dstport==$port" 2>/dev/null | wc -l)"
done
