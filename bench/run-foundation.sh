#!/usr/bin/env bash
# The foundation's benchmarks (BENCHMARKS.md), on this machine, in one run:
#   1. trustdesk and the two peers side by side through ../shared/peers/run_sequence
#      (same Python client, same ticket texts, same 220-mail corpus where ingest exists);
#   2. POST /api/v1/tickets with wrk, 8 connections, on SQLite and on PostgreSQL;
#   3. resident memory of an idle `serve`;
#   4. one-word search over a seeded data set (default 1 000 000 messages) on both backends.
# Usage: bench/run-foundation.sh [OUT_DIR]   (MESSAGES=… to change the search data set size,
#        SKIP_PEERS=1 to leave the peers out, PG_ADMIN_URL=… for another PostgreSQL)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="${1:-$ROOT/target/bench-$(date +%Y%m%d-%H%M%S)}"
MESSAGES="${MESSAGES:-1000000}"
PG_ADMIN_URL="${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
PEERS="$ROOT/../shared/peers"
export PEERS_ENV="${PEERS_ENV:-/var/tmp/peers-env}"   # readable by the postgres user (RT's cluster)
mkdir -p "$OUT"
log() { echo "[bench $(date +%H:%M:%S)] $*" | tee -a "$OUT/summary.txt"; }

cd "$ROOT"
log "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -r), $(date -u +%Y-%m-%dT%H:%MZ)"
cargo build --release --quiet
BIN="$ROOT/target/release/trustdesk"
log "binary: $("$BIN" --version), $(du -h "$BIN" | cut -f1)"

port_free() { ! (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null; }
pick_port() { local p; for p in $(seq "$1" $(($1 + 50))); do port_free "$p" && { echo "$p"; return; }; done; return 1; }
wait_up() { for _ in $(seq 1 240); do curl -sf -o /dev/null "http://127.0.0.1:$1/healthz" && return 0; sleep 0.25; done; return 1; }
rss_kb() { awk '/VmRSS/{print $2}' "/proc/$1/status"; }
fresh_pg() { # fresh_pg NAME -> URL of an empty database
    psql "$PG_ADMIN_URL" -qAt -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1" >/dev/null
    echo "${PG_ADMIN_URL%/*}/$1"
}

# --- 1. side by side with the peers --------------------------------------------------------
if [ -z "${SKIP_PEERS:-}" ]; then
    CORPUS="$OUT/mail-corpus"; rm -rf "$CORPUS"
    python3 "$PEERS/make_mail_corpus.py" "$CORPUS" >/dev/null
    for peer in trustdesk django-helpdesk request-tracker; do
        [ "$peer" = trustdesk ] && (cd "$ROOT" && TRUSTDESK_SRC="$ROOT" "$PEERS/trustdesk/setup" >/dev/null)
        [ "$peer" = django-helpdesk ] && rm -f "$PEERS_ENV/django-helpdesk/"helpdesk.sqlite3* && "$PEERS/django-helpdesk/setup" >/dev/null
        [ "$peer" = request-tracker ] && rm -rf "$PEERS_ENV/request-tracker" && "$PEERS/request-tracker/setup" >/dev/null
        log "run_sequence $peer"
        "$PEERS/run_sequence" "$peer" "$(pick_port 18100)" "$CORPUS" 2>&1 | tee "$OUT/peer-$peer.txt" | sed 's/^/    /' | tee -a "$OUT/summary.txt"
    done
fi

# --- 2 and 3. wrk create and idle memory, per backend ----------------------------------------
run_create() { # run_create LABEL DB_ARGS...
    local label="$1"; shift
    local dir="$OUT/$label"; rm -rf "$dir"; mkdir -p "$dir"
    local token; token="$("$BIN" token create --name bench --role admin --data-dir "$dir/data" "$@" | tail -n 1)"
    local port; port="$(pick_port 18200)"
    "$BIN" serve --listen "127.0.0.1:$port" --data-dir "$dir/data" "$@" >"$dir/serve.log" 2>&1 &
    local pid=$!
    wait_up "$port" || { log "$label: serve did not start"; cat "$dir/serve.log"; kill "$pid"; return 1; }
    sleep 3
    log "$label idle: rss_kb=$(rss_kb "$pid")"
    TOKEN="$token" wrk -t2 -c8 -d5s -s "$ROOT/bench/wrk/create_ticket.lua" "http://127.0.0.1:$port" >/dev/null
    for run in 1 2 3; do
        log "$label create wrk -t2 -c8 -d20s run $run: $(TOKEN="$token" wrk -t2 -c8 -d20s -s "$ROOT/bench/wrk/create_ticket.lua" "http://127.0.0.1:$port" | tail -n 1)"
    done
    log "$label after load: rss_kb=$(rss_kb "$pid") tickets=$(curl -s -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/tickets?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')"
    kill -TERM "$pid"; wait "$pid" || true
}
run_create sqlite
run_create postgres --database "$(fresh_pg td_bench_create)"

# --- 4. search over a large data set ------------------------------------------------------------
run_search() { # run_search LABEL DB_ARGS...
    local label="$1"; shift
    local dir="$OUT/search-$label"; rm -rf "$dir"; mkdir -p "$dir"
    log "$label seed $MESSAGES messages: $("$BIN" bench seed --messages "$MESSAGES" --data-dir "$dir/data" "$@" | tail -n 1)"
    "$BIN" bench search --rounds 21 --data-dir "$dir/data" "$@" | tee "$dir/search.txt" | sed 's/^/    /' | tee -a "$OUT/summary.txt"
}
run_search sqlite
run_search postgres --database "$(fresh_pg td_bench_search)"
log "done: $OUT/summary.txt"
