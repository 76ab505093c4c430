#!/usr/bin/env bash
# Records the bundled MariaDB captures (captures/mysql-*.pcap) from real traffic on loopback: a
# throwaway MariaDB in a temp dir (a password user, so the handshake is real), driven by
# mysqlslap, by python3-pymysql (queries, errors, COM_INIT_DB, COM_PING, and server-side
# prepared statements written with pymysql's packet layer: COM_STMT_PREPARE/EXECUTE/CLOSE) and
# by the mariadb client with --compress, captured with tcpdump on `lo`. Needs root (tcpdump).
# Usage: scripts/record-mysql.sh [OUT_DIR]   (default: captures/ next to this script)
#        PORT=NNNN to listen elsewhere than 13306.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/record-common.sh" "$@"
port=${PORT:-13306}
for p in mariadbd mariadb-install-db mariadb mysqlslap tcpdump tshark; do
  command -v "$p" >/dev/null || { echo "$p is missing (apt-get install mariadb-server mariadb-client tcpdump tshark)" >&2; exit 1; }
done
/usr/bin/python3 -c 'import pymysql' 2>/dev/null || { echo 'python3-pymysql is missing' >&2; exit 1; }

. "$here/lib/mariadb.sh"
start_mariadb "$port"
client=(--no-defaults -h 127.0.0.1 -P "$port" -u bench -pbench-secret)

# mysqlslap: generated schema, inserts and selects from 2 concurrent clients.
start_capture "$out/mysql-mysqlslap.pcap"
mysqlslap "${client[@]}" --create-schema=slap --auto-generate-sql --auto-generate-sql-load-type=mixed \
  --number-of-queries=20 --auto-generate-sql-write-number=5 --concurrency=2 --iterations=1 --number-int-cols=2 --number-char-cols=2 >/dev/null
stop_capture

start_capture "$out/mysql-pymysql.pcap"
/usr/bin/python3 - "$port" <<'PY'
import struct, sys
import pymysql
from pymysql.constants import COMMAND

port = int(sys.argv[1])
conn = pymysql.connect(host='127.0.0.1', port=port, user='bench', password='bench-secret', database='shop', autocommit=True)
cur = conn.cursor()
cur.execute("INSERT INTO items VALUES (1, 'apple', 1.50), (2, 'pear', 2.25), (3, 'plum', 0.75)")
cur.execute("SELECT id, name FROM items WHERE price > 1.00 AND name <> 'x'")
cur.fetchall()
for bad in ("INSERT INTO items VALUES (1, 'again', 9.99)", "SELECT * FROM no_such_table", "SELEC 1"):
    try:
        cur.execute(bad)
    except pymysql.MySQLError:
        pass
conn.select_db('mysql')                      # COM_INIT_DB
conn.ping(reconnect=False)                   # COM_PING
cur.execute('SELECT COUNT(*) FROM user')
cur.fetchall()
conn.select_db('shop')

def read_until_eof():
    while True:
        p = conn._read_packet()
        if p.is_eof_packet() or p.is_error_packet():
            return

def prepare(sql):
    conn._execute_command(COMMAND.COM_STMT_PREPARE, sql)
    first = conn._read_packet()
    stmt_id, columns, params = struct.unpack('<xIHH', first.get_all_data()[:9])
    if params:
        read_until_eof()
    if columns:
        read_until_eof()
    return stmt_id

def execute(stmt_id, *ints):
    payload = struct.pack('<IBI', stmt_id, 0, 1)
    if ints:
        payload += bytes((len(ints) + 7) // 8) + b'\x01' + b'\x08\x00' * len(ints)
        payload += b''.join(struct.pack('<q', v) for v in ints)
    conn._execute_command(COMMAND.COM_STMT_EXECUTE, payload)
    try:
        first = conn._read_packet()
    except pymysql.MySQLError:
        return
    if first.is_ok_packet():
        return
    read_until_eof()  # column definitions
    read_until_eof()  # binary rows

select = prepare('SELECT id, name, price FROM items WHERE id >= ?')
update = prepare('UPDATE items SET price = price + 1 WHERE id = ?')
execute(select, 2)
execute(update, 1)
execute(select, 1)
conn._execute_command(COMMAND.COM_STMT_CLOSE, struct.pack('<I', select))
conn._execute_command(COMMAND.COM_STMT_CLOSE, struct.pack('<I', update))
failing = prepare('SELECT 1 + ?')
execute(failing)  # no parameter bound: the server answers ERR
cur.execute('DELETE FROM items WHERE id > 1')
conn.close()  # COM_QUIT
PY
# A failed login: wrong password.
mariadb "${client[@]:0:5}" -u bench -pwrong -e 'SELECT 1' >/dev/null 2>&1 || true
stop_capture

# The compressed protocol: the mariadb client with --compress.
start_capture "$out/mysql-compressed.pcap"
mariadb "${client[@]}" --compress shop -e "SELECT id, name, REPEAT(name, 20) FROM items; SELECT @@version_comment; SELECT nope FROM items" >/dev/null 2>&1 || true
stop_capture

for f in mysql-mysqlslap mysql-pymysql mysql-compressed; do summarize "$out/$f.pcap"; done
