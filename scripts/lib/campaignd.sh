# Sourced by scripts: start the debug build of campaignd on a free port over a throw-away database.
#   start_campaignd KEY LOG   (serve flags may be added in CAMPAIGND_EXTRA_ARGS)
#                             sets CAMPAIGND_PID and CAMPAIGND_URL (http://127.0.0.1:<port>),
#                             returns once /healthz answers; stop_campaignd stops it.

start_campaignd() {
    local key=$1 log=$2
    # Where cargo builds (CARGO_TARGET_DIR lets a fresh clone reuse another checkout's build).
    local bin="${CARGO_TARGET_DIR:-target}/debug/campaignd"
    [[ -x "$bin" ]] || cargo build --quiet
    "$bin" serve --ephemeral --listen 127.0.0.1:0 --synchronous normal \
        --bootstrap-key "$key" ${CAMPAIGND_EXTRA_ARGS:-} >"$log" 2>&1 &
    CAMPAIGND_PID=$!
    CAMPAIGND_URL=""
    # The server picks a free port and logs it.
    for _ in $(seq 100); do
        CAMPAIGND_URL=$(grep -o 'listening on http://[0-9.]*:[0-9]*' "$log" | head -n1 | sed 's/^listening on //' || true)
        [[ -n "$CAMPAIGND_URL" ]] && break
        kill -0 "$CAMPAIGND_PID" 2>/dev/null || break
        sleep 0.1
    done
    if [[ -z "$CAMPAIGND_URL" ]]; then
        cat "$log" >&2
        echo "campaignd did not start" >&2
        return 1
    fi
    for _ in $(seq 100); do
        curl -fsS "$CAMPAIGND_URL/healthz" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "campaignd: /healthz did not answer" >&2
    return 1
}

stop_campaignd() {
    if [[ -n "${CAMPAIGND_PID:-}" ]]; then
        kill "$CAMPAIGND_PID" 2>/dev/null || true
        wait "$CAMPAIGND_PID" 2>/dev/null || true
        CAMPAIGND_PID=""
    fi
}

# A fresh API key: `ak_<id>.<secret>` with a 48-character secret.
random_key() {
    echo "ak_$1.$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"
}
