#!/usr/bin/env bash
# Records captures/mysql-dbd-prepare.pcap from real traffic on loopback: a throwaway MariaDB in
# a temp dir (a password user, so the handshake is real) driven by Perl DBI with DBD::MariaDB and
# server-side prepares (`mariadb_server_prepare=1`). DBD::MariaDB writes COM_STMT_CLOSE (no reply
# by design) and the next command back to back, so commands are pipelined: prepares, executes
# (binary result sets, an UPDATE, a duplicate key: ERR 1062), a prepare on a missing table
# (ERR 1146), statement closes, a plain query, COM_QUIT. tcpdump on `lo`. Needs root (tcpdump).
# Usage: scripts/record-mysql-dbd.sh [OUT_DIR]   (default: captures/ next to this script)
#        PORT=NNNN to listen elsewhere than 18506.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/record-common.sh" "$@"
port=${PORT:-18506}
install_missing mariadbd:mariadb-server mariadb:mariadb-client tcpdump:tcpdump tshark:tshark
perl -MDBD::MariaDB -e 1 2>/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libdbd-mariadb-perl >/dev/null; }
require_closed_port "$port"

. "$here/lib/mariadb.sh"
start_mariadb "$port"

start_capture "$out/mysql-dbd-prepare.pcap"
perl - "$port" <<'PERL'
use strict;
use warnings;
use DBI;

my $port = shift;
my $dbh = DBI->connect("DBI:MariaDB:database=shop;host=127.0.0.1;port=$port;mariadb_server_prepare=1",
  'bench', 'bench-secret', { RaiseError => 0, PrintError => 0, AutoCommit => 1 }) or die $DBI::errstr;
# Each statement handle is closed (COM_STMT_CLOSE) when the next prepare replaces it.
my $sth;
for my $i (1 .. 3) {
  $sth = $dbh->prepare('INSERT INTO items VALUES (?, ?, ?)');
  $sth->execute($i, "item$i", $i * 1.5);
}
$sth = $dbh->prepare('INSERT INTO items VALUES (?, ?, ?)');
$sth->execute(1, 'again', 9.99);                      # duplicate key: ERR 1062 on the execute
$sth = $dbh->prepare('SELECT id, name, price FROM items WHERE id >= ?');
$sth->execute(2);
$sth->fetchall_arrayref;
$sth = $dbh->prepare('SELECT * FROM no_such_table WHERE id = ?');   # ERR 1146 on the prepare
$sth = $dbh->prepare('UPDATE items SET price = price + 1 WHERE id = ?');
$sth->execute(1);
$sth = $dbh->prepare('SELECT COUNT(*) FROM items');
$sth->execute;
$sth->fetchall_arrayref;
undef $sth;
$dbh->do('DELETE FROM items WHERE id > 2');
$dbh->disconnect;                                     # COM_QUIT
PERL
stop_capture

commands=$(count_fields "$out/mysql-dbd-prepare.pcap" mysql.command -d "tcp.port==$port,mysql")
summarize "$out/mysql-dbd-prepare.pcap" "$commands" commands
