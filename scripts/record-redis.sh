#!/usr/bin/env bash
# Records the bundled Redis captures (captures/redis-*.pcap) from real traffic on loopback: a
# redis-server with no persistence in a temp dir, driven by redis-benchmark, `redis-cli -3` and
# a raw-socket client (python3), captured with tcpdump on `lo`. Needs root (tcpdump); installs
# missing Debian packages.
# Usage: scripts/record-redis.sh [OUT_DIR]   (default: captures/ next to this script)
#        PORT=NNNN to listen elsewhere than 16380 (a non-standard port: tests decode it as Redis
#        by rule, and tshark with decode-as).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/record-common.sh" "$@"
port=${PORT:-16380}

install_missing tcpdump:tcpdump redis-server:redis-server redis-cli:redis-tools python3:python3 capinfos:tshark

require_closed_port "$port"

# DEBUG PROTOCOL makes the server answer every RESP3 type on demand.
timeout 300 redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no --dir "$work" \
  --enable-debug-command yes --daemonize no --logfile "$work/redis.log" & servers+=($!)
wait_for 5 redis-cli -p "$port" PING

# redis-benchmark: one command per roundtrip, then 16 in flight per connection (-P 16).
start_capture "$out/redis-benchmark.pcap"
redis-benchmark -p "$port" -q -n 24 -c 2 -t set,get,incr,lpush >/dev/null
redis-benchmark -p "$port" -q -n 192 -c 2 -P 16 -t set,get,incr,lpush >/dev/null
stop_capture

# redis-cli -3, one connection per command (HELLO 3 first; interactive use would also fetch the
# 170 KB COMMAND DOCS): every RESP3 reply type redis-cli reads, container commands, errors, and
# `-n 2` (SELECT 2 before the command).
start_capture "$out/redis-cli-resp3.pcap"
while read -r -a args; do
  redis-cli -3 -p "$port" "${args[@]}" >/dev/null
done <<'CMDS'
SET greeting hello
HSET user:1 name ada lang en
HGETALL user:1
SADD colours red green
SMEMBERS colours
ZADD scores 1.5 ada
ZSCORE scores ada
DEBUG PROTOCOL verbatim
DEBUG PROTOCOL true
DEBUG PROTOCOL null
CLIENT SETNAME recorder
CONFIG GET maxmemory
LPUSH greeting x
NOSUCHCOMMAND a b
CMDS
redis-cli -3 -p "$port" -n 2 GET greeting >/dev/null
stop_capture

# Raw client: inline commands, RESP3 attribute and big number replies (redis-cli reads neither), a pipeline written at once, RESP2 and RESP3 pub/sub with
# PUBLISH from a second connection, a tracking invalidation push, and a 12 KB value sent with
# a 1000-byte MSS so its bulk string spans many segments.
start_capture "$out/redis-raw.pcap"
python3 - "$port" <<'PY'
import sys
from loopback import connect, drain, exchanger
port = int(sys.argv[1])
exchange = exchanger(0.1)

def cmd(*args):
    out = b'*%d\r\n' % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b'$%d\r\n%s\r\n' % (len(a), a)
    return out

publisher = connect(port)

inline = connect(port)
for line in (b'PING\r\n', b'SET inline "two words"\r\n', b'GET inline\r\n', b'\r\n', b'EXISTS inline nothing\n'):
    exchange(inline, line)
inline.close()

pipe = connect(port)
exchange(pipe, b''.join(cmd('INCR', 'counter') for _ in range(20)) + cmd('GET', 'counter') + cmd('LPUSH', 'counter', 'x'), 0.3)
pipe.close()

sub2 = connect(port)
exchange(sub2, cmd('SUBSCRIBE', 'news', 'sport'))
exchange(publisher, cmd('PUBLISH', 'news', 'hello'))
exchange(publisher, cmd('PUBLISH', 'sport', 'goal'))
drain(sub2)
exchange(sub2, cmd('PING'))
exchange(sub2, cmd('UNSUBSCRIBE'))
exchange(sub2, cmd('GET', 'counter'))
sub2.close()

sub3 = connect(port)
exchange(sub3, cmd('HELLO', '3'))
exchange(sub3, cmd('SUBSCRIBE', 'news'))
exchange(publisher, cmd('PUBLISH', 'news', 'resp3'))
drain(sub3)
exchange(sub3, cmd('GET', 'counter'))
exchange(sub3, cmd('CLIENT', 'TRACKING', 'on'))
exchange(sub3, cmd('UNSUBSCRIBE', 'news'))
exchange(sub3, cmd('GET', 'tracked'))
exchange(publisher, cmd('SET', 'tracked', 'changed'))
drain(sub3)
exchange(sub3, cmd('PING'))
exchange(sub3, cmd('DEBUG', 'PROTOCOL', 'attrib'))
exchange(sub3, cmd('DEBUG', 'PROTOCOL', 'bignum'))
sub3.close()

big = connect(port, mss=1000)
value = (b'0123456789abcdef' * 768)
exchange(big, cmd('SET', 'big', value), 0.3)
exchange(big, cmd('GET', 'big'), 0.3)
exchange(big, cmd('STRLEN', 'big'))
big.close()
publisher.close()
PY
stop_capture

for f in redis-benchmark redis-cli-resp3 redis-raw; do
  summarize "$out/$f.pcap" "$(count_fields "$out/$f.pcap" resp.array.length \
    -d "tcp.port==$port,resp" -Y "resp && tcp.dstport==$port")" 'array commands (tshark)'
done
