# A throw-away PostgreSQL cluster for the tests: Debian's `postgresql` package (installed by
# scripts/test when missing), `initdb` into a temporary directory, a free loopback port, stopped
# and removed when the calling script exits. The server refuses to run as root, so as root the
# cluster belongs to `nobody`.
#
#   source scripts/lib/postgres.sh
#   start_postgres            # exports CAMPAIGND_TEST_POSTGRES (the `postgres` superuser's URL)

postgres_bin() {
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [[ -n "$dir" && -x "$dir/initdb" ]] && echo "$dir"
}

start_postgres() {
    local bin port dir as=()
    bin=$(postgres_bin) || { echo "postgres.sh: PostgreSQL is not installed" >&2; return 1; }
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    dir=$(mktemp -d /tmp/campaignd-pg.XXXXXX)
    if [[ "$(id -u)" -eq 0 ]]; then
        chown nobody "$dir"
        as=(runuser -u nobody --)
    fi
    POSTGRES_DIR=$dir POSTGRES_BIN=$bin
    POSTGRES_AS=("${as[@]}")
    trap stop_postgres EXIT
    # From the cluster's own directory: `nobody` may not be allowed into the checkout.
    (cd "$dir" && "${as[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth=trust \
        --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1) ||
        { cat "$dir/initdb.log" >&2; return 1; }
    # Tests create many databases and connections; fsync off because the cluster is thrown away.
    (cd "$dir" && "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -o \
        "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$dir \
         -c max_connections=400 -c fsync=off -c synchronous_commit=off \
         -c full_page_writes=off -c shared_buffers=128MB" start >/dev/null) ||
        { cat "$dir/server.log" >&2; return 1; }
    export CAMPAIGND_TEST_POSTGRES="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
    echo "postgres.sh: PostgreSQL on 127.0.0.1:$port ($dir)" >&2
}

stop_postgres() {
    [[ -n "${POSTGRES_DIR:-}" ]] || return 0
    (cd "$POSTGRES_DIR" && "${POSTGRES_AS[@]}" "$POSTGRES_BIN/pg_ctl" -D "$POSTGRES_DIR/data" \
        -m immediate stop >/dev/null 2>&1) || true
    rm -rf "$POSTGRES_DIR"
    POSTGRES_DIR=
}
