#!/usr/bin/env bash
# Records captures/postgresql-pipeline.pcap from real traffic on loopback: a throwaway
# PostgreSQL 15 cluster in a temp dir (SCRAM password auth over TCP, no TLS) driven by pgbench 15
# pipelines (`\startpipeline` … `\endpipeline`: every statement's Parse/Bind/Describe/Execute
# written before one Sync). After an error the server discards the rest of the batch up to the
# Sync, so the pipelines fail at different places: a pipeline of five that all run; one whose
# second statement fails at execution (22012) with three behind it; one whose third fails at
# Parse (42P01, a missing table) with two behind it; one whose last fails; two pipelines in one
# transaction script with -M prepared (named statements). tcpdump on `lo`. Needs root (tcpdump;
# the server runs as user postgres).
# Usage: scripts/record-postgresql-pipeline.sh [OUT_DIR]   (default: captures/ next to this script)
#        PORT=NNNN to listen elsewhere than 18507.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/record-common.sh" "$@"
port=${PORT:-18507}
install_missing tcpdump:tcpdump tshark:tshark
require_closed_port "$port"
. "$here/lib/postgres.sh"
start_postgres "$port"
"$bin/psql" -h "$work/data" -q -c 'CREATE TABLE items (id int PRIMARY KEY, name text)' \
  -c "INSERT INTO items SELECT g, 'item' || g FROM generate_series(1, 5) g"

script() { cat > "$work/$1.sql"; }
script all-run <<'SQL'
\startpipeline
SELECT id, name FROM items WHERE id <= 3;
UPDATE items SET name = name || '+' WHERE id = 1;
INSERT INTO items VALUES (10, 'ten');
SELECT count(*) FROM items;
DELETE FROM items WHERE id = 10;
\endpipeline
SQL
script execute-fails <<'SQL'
\startpipeline
SELECT 1;
SELECT 1/0;
SELECT 2;
UPDATE items SET name = 'never' WHERE id = 2;
SELECT 3;
\endpipeline
SQL
script parse-fails <<'SQL'
\startpipeline
SELECT name FROM items WHERE id = 1;
SELECT 4;
SELECT * FROM no_such_table;
SELECT 5;
SELECT 6;
\endpipeline
SQL
script last-fails <<'SQL'
\startpipeline
SELECT 7;
INSERT INTO items VALUES (1, 'duplicate');
\endpipeline
SQL
script two-pipelines <<'SQL'
\set id random(1, 5)
\startpipeline
SELECT name FROM items WHERE id = :id;
UPDATE items SET name = name WHERE id = :id;
\endpipeline
\startpipeline
SELECT count(*) FROM items WHERE id > :id;
\endpipeline
SQL

start_capture "$out/postgresql-pipeline.pcap"
for s in all-run execute-fails parse-fails last-fails; do
  "$bin/pgbench" -n -M extended -f "$work/$s.sql" -t 1 >/dev/null 2>&1 || true
done
"$bin/pgbench" -n -M prepared -f "$work/two-pipelines.sql" -t 2 >/dev/null
stop_capture

executes=$(count_fields "$out/postgresql-pipeline.pcap" pgsql.type -Y "pgsql.type == \"Execute\"" -d "tcp.port==$port,pgsql")
summarize "$out/postgresql-pipeline.pcap" "$executes" executes
