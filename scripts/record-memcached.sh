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
. "$here/lib/record-common.sh" "$@"
port=${PORT:-11212}

install_missing tcpdump:tcpdump memcached:memcached python3:python3 capinfos:tshark

require_closed_port "$port"

timeout 120 memcached -l 127.0.0.1 -p "$port" -U 0 -m 16 -u nobody & servers+=($!)
wait_for 5 port_open "$port"

# Text protocol: every command kind, hits and misses, noreply, errors, a pipelined batch, and a
# value sent with a 1000-byte MSS so its data block spans several segments.
start_capture "$out/memcached-text.pcap"
python3 - "$port" <<'PY'
import sys
from loopback import connect, exchanger
port = int(sys.argv[1])
exchange = exchanger(0.05)

s = connect(port)
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

big = connect(port, mss=1000)
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
import struct, sys
from loopback import connect, exchanger
port = int(sys.argv[1])
exchange = exchanger(0.05)

def packet(opcode, key=b'', extras=b'', value=b'', opaque=0, cas=0):
    body = extras + key + value
    return struct.pack('>BBHBBHIIQ', 0x80, opcode, len(key), len(extras), 0, 0, len(body), opaque, cas) + body

GET, SET, ADD, DELETE, INCR, NOOP, VERSION, GETK, GETQ, GETKQ, STAT, SETQ, QUITQ, TOUCH, APPEND = \
    0x00, 0x01, 0x02, 0x04, 0x05, 0x0a, 0x0b, 0x0c, 0x09, 0x0d, 0x10, 0x11, 0x17, 0x1c, 0x0e
flags_exp = struct.pack('>II', 0, 0)

s = connect(port)
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
  summarize "$out/$f.pcap" "$(tshark -r "$out/$f.pcap" -n -d "tcp.port==$port,memcache" \
    -Y "memcache && tcp.dstport==$port" 2>/dev/null | wc -l)" 'requests (tshark)'
done
