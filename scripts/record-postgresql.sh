#!/usr/bin/env bash
# Records the bundled PostgreSQL captures (captures/postgresql-*.pcap) from real traffic on
# loopback: a throwaway PostgreSQL 15 cluster in a temp dir (SCRAM password auth over TCP, no
# TLS so clients' SSLRequest is refused), driven by pgbench (simple, extended and prepared
# protocols, a pipeline) and psql (errors, COPY, multi-statement queries, a cancel request),
# captured with tcpdump on `lo`. Needs root (tcpdump; the server runs as user postgres).
# Usage: scripts/record-postgresql.sh [OUT_DIR]   (default: captures/ next to this script)
#        PORT=NNNN to listen elsewhere than 15432.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/record-common.sh" "$@"
port=${PORT:-15432}
for p in tcpdump tshark; do command -v "$p" >/dev/null || { echo "$p is missing" >&2; exit 1; }; done
. "$here/lib/postgres.sh"
start_postgres "$port"
"$bin/pgbench" -q -i -s 1 -h "$work/data" >/dev/null 2>&1
"$bin/psql" -h "$work/data" -q -c 'CREATE TABLE items (id int PRIMARY KEY, name text)'

# pgbench's TPC-B-like transaction: 7 statements each, 2 clients x 5 transactions.
start_capture "$out/postgresql-pgbench-simple.pcap"
"$bin/pgbench" -n -M simple -t 5 -c 2 >/dev/null
stop_capture

start_capture "$out/postgresql-pgbench-extended.pcap"
"$bin/pgbench" -n -M extended -t 5 -c 2 >/dev/null
stop_capture

cat > "$work/pipeline.sql" <<'SQL'
\set aid random(1, 100000)
\startpipeline
SELECT abalance FROM pgbench_accounts WHERE aid = :aid;
UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = :aid;
SELECT count(*) FROM pgbench_branches;
\endpipeline
SQL
cat > "$work/pipeline-error.sql" <<'SQL'
\startpipeline
SELECT 1;
SELECT 1/0;
SELECT 2;
\endpipeline
SQL
cat > "$work/fail.sql" <<'SQL'
SELECT * FROM no_such_table WHERE id = 7;
SQL

start_capture "$out/postgresql-misc.pcap"
# psql: SSLRequest refused ('N'), then the simple protocol: rows, errors, COPY both ways.
"$bin/psql" -X -q "sslmode=prefer" >/dev/null 2>&1 <<'SQL' || true
INSERT INTO items VALUES (1, 'one'), (2, 'two');
SELECT id, name FROM items WHERE name = 'two' AND id > 1;
INSERT INTO items VALUES (1, 'duplicate');
SELECT 1/0;
SELEC broken syntax;
COPY items FROM STDIN;
3	three
4	four
\.
COPY items TO STDOUT;
UPDATE items SET name = 'x' WHERE id >= 3;
DELETE FROM items WHERE id > 2;
SQL
# Two statements in one Query message (psql -c sends the string whole).
"$bin/psql" -X -q -c "SELECT 1; SELECT 'a', 'b' UNION ALL SELECT 'c', 'd'" >/dev/null
# Extended protocol: a pipeline of three statements before one Sync, one whose middle fails,
# a failing statement, and named prepared statements.
"$bin/pgbench" -n -M extended -f "$work/pipeline.sql" -t 2 >/dev/null
"$bin/pgbench" -n -M extended -f "$work/pipeline-error.sql" -t 1 >/dev/null 2>&1 || true
"$bin/pgbench" -n -M extended -f "$work/fail.sql" -t 1 >/dev/null 2>&1 || true
"$bin/pgbench" -n -M prepared -S -t 3 >/dev/null
# A cancel request: psql sends it on a connection of its own when interrupted.
"$bin/psql" -X -q -c 'SELECT pg_sleep(5)' >/dev/null 2>&1 & sleeper=$!
sleep 1; kill -INT "$sleeper"; wait "$sleeper" || true
stop_capture

for f in postgresql-pgbench-simple postgresql-pgbench-extended postgresql-misc; do summarize "$out/$f.pcap"; done
