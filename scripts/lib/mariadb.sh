# Shared by the MariaDB recording scripts, sourced after record-common.sh.
# start_mariadb PORT: a throwaway mariadbd with its data in $work on 127.0.0.1:PORT (stopped on
# exit), database `shop` with table `items`, user bench / bench-secret. Setup runs over the Unix
# socket $work/sock: not captured.
start_mariadb() {
  local port=$1
  mariadb-install-db --datadir="$work/data" --user=root --auth-root-authentication-method=socket >/dev/null 2>&1
  mariadbd --no-defaults --datadir="$work/data" --port="$port" --bind-address=127.0.0.1 --socket="$work/sock" \
    --user=root --skip-log-bin --innodb-buffer-pool-size=16M >"$work/server.log" 2>&1 & servers+=($!)
  wait_for 20 test -S "$work/sock"
  mariadb --no-defaults -S "$work/sock" -u root <<'SQL'
CREATE DATABASE shop;
CREATE USER 'bench'@'127.0.0.1' IDENTIFIED BY 'bench-secret';
GRANT ALL ON *.* TO 'bench'@'127.0.0.1';
CREATE TABLE shop.items (id INT PRIMARY KEY, name VARCHAR(32), price DECIMAL(8,2));
SQL
}
