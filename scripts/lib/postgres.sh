# Shared by the PostgreSQL recording scripts, sourced after record-common.sh.
# start_postgres PORT: a throwaway server in $work/data on 127.0.0.1:PORT (installing the
# postgresql package if missing), stopped on exit, with user and database `bench`; sets `bin`
# (the server's binaries) and PG* for clients. Setup runs over the Unix socket: not captured.
start_postgres() {
  local port=$1
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  if [ ! -x "$bin/initdb" ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  fi
  chmod 755 "$work"
  stop_server() { runuser -u postgres -- "$bin/pg_ctl" -D "$work/data" -m immediate stop; }
  cleanup_hooks+=(stop_server)
  export PGHOST=127.0.0.1 PGPORT=$port PGUSER=bench PGPASSWORD=bench-secret PGDATABASE=bench
  mkdir -p "$work/data"
  chown postgres "$work/data"
  echo 'postgres' > "$work/pw" && chmod 644 "$work/pw"
  runuser -u postgres -- "$bin/initdb" -D "$work/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
    --pwfile="$work/pw" >/dev/null
  runuser -u postgres -- "$bin/pg_ctl" -D "$work/data" -l "$work/data/server.log" -w \
    -o "-p $port -k $work/data -c listen_addresses=127.0.0.1 -c ssl=off" start >/dev/null
  runuser -u postgres -- "$bin/psql" -q -h "$work/data" -p "$port" -U postgres -d postgres \
    -c "CREATE USER bench PASSWORD 'bench-secret'" -c 'CREATE DATABASE bench OWNER bench'
}
