#!/usr/bin/env bash
# Local stand-ins for the Azure services the `services` tests use.
#
#   .ci/services.sh start [azurite|cosmos]...   install if missing, start, wait until listening
#   .ci/services.sh stop  [azurite|cosmos]...   stop what this script started (PID files)
#   .ci/services.sh status
#
# Azurite (Blob) listens on https://127.0.0.1:$TOEX_AZURITE_PORT (10000) with --oauth basic, so that
# Entra bearer tokens and user-delegation SAS work as in Azure; its certificate is self-signed and
# written to $TOEX_SERVICES_DIR/cert.pem (default: <cache root>/services; tools under <cache root>/tools). The Cosmos DB server (@vercel/cosmosdb-server) listens on
# https://127.0.0.1:$TOEX_COSMOS_PORT (8081) with its own built-in certificate. Both keep data in
# memory only: a restart starts empty. Neither calls out to the internet (--disableTelemetry).
set -euo pipefail

AZURITE_VERSION=3.37.0
COSMOS_SERVER_VERSION=1.0.1
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# the project's one cache root (shared/settings.py: $TOEX_CACHE, else its documented default)
CACHE="$(cd "$ROOT" && python3 -c 'from shared.settings import cache_root; print(cache_root())')"
TOOLS="${TOEX_TOOLS:-$CACHE/tools}"
STATE="${TOEX_SERVICES_DIR:-$CACHE/services}"
AZURITE_PORT="${TOEX_AZURITE_PORT:-10000}"
COSMOS_PORT="${TOEX_COSMOS_PORT:-8081}"
BIN="$TOOLS/node_modules/.bin"

log() { echo "services: $*" >&2; }

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

port_of() { case "$1" in azurite) echo "$AZURITE_PORT" ;; cosmos) echo "$COSMOS_PORT" ;; *) log "unknown service $1"; exit 2 ;; esac; }

install_tools() {
    if [[ -x "$BIN/azurite-blob" && -x "$BIN/cosmosdb-server" ]] \
        && grep -q "\"version\": \"$AZURITE_VERSION\"" "$TOOLS/node_modules/azurite/package.json" 2>/dev/null \
        && grep -q "\"version\": \"$COSMOS_SERVER_VERSION\"" \
            "$TOOLS/node_modules/@vercel/cosmosdb-server/package.json" 2>/dev/null; then
        return
    fi
    command -v npm >/dev/null || { log "npm not found (install nodejs >= 20 and npm)"; exit 1; }
    log "installing azurite@$AZURITE_VERSION @vercel/cosmosdb-server@$COSMOS_SERVER_VERSION into $TOOLS"
    mkdir -p "$TOOLS"
    npm install --prefix "$TOOLS" --no-audit --no-fund --loglevel=error \
        "azurite@$AZURITE_VERSION" "@vercel/cosmosdb-server@$COSMOS_SERVER_VERSION" >&2
}

ensure_cert() {
    [[ -s "$STATE/cert.pem" && -s "$STATE/key.pem" ]] && return
    mkdir -p "$STATE"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=127.0.0.1" \
        -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
        -keyout "$STATE/key.pem" -out "$STATE/cert.pem" 2>/dev/null
}

start_one() {
    local name=$1 port
    port=$(port_of "$name")
    if listening "$port"; then
        log "$name already listening on 127.0.0.1:$port"
        return
    fi
    mkdir -p "$STATE"
    case "$name" in
        azurite)
            ensure_cert
            setsid "$BIN/azurite-blob" --blobHost 127.0.0.1 --blobPort "$port" --disableTelemetry \
                --skipApiVersionCheck --loose --inMemoryPersistence --extentMemoryLimit 1024 \
                --oauth basic --cert "$STATE/cert.pem" --key "$STATE/key.pem" --silent \
                </dev/null >"$STATE/azurite.log" 2>&1 &
            ;;
        cosmos)
            setsid "$BIN/cosmosdb-server" --host 127.0.0.1 -p "$port" \
                </dev/null >"$STATE/cosmos.log" 2>&1 &
            ;;
    esac
    echo $! >"$STATE/$name.pid"
    for _ in $(seq 1 120); do
        if listening "$port"; then
            log "$name listening on 127.0.0.1:$port (pid $(cat "$STATE/$name.pid"))"
            return
        fi
        if ! kill -0 "$(cat "$STATE/$name.pid")" 2>/dev/null; then
            log "$name exited; log follows"; cat "$STATE/$name.log" >&2; rm -f "$STATE/$name.pid"; exit 1
        fi
        sleep 0.5
    done
    log "$name did not listen on port $port within 60 s"; cat "$STATE/$name.log" >&2; exit 1
}

stop_one() {
    local name=$1 pidfile="$STATE/$1.pid" pid
    [[ -f "$pidfile" ]] || return 0
    pid=$(cat "$pidfile")
    if kill -0 "$pid" 2>/dev/null; then
        kill "$pid"
        for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
        kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
        log "$name stopped (pid $pid)"
    fi
    rm -f "$pidfile"
}

cmd=${1:-}
shift || true
services=("$@")
[[ ${#services[@]} -eq 0 ]] && services=(azurite cosmos)
case "$cmd" in
    start)
        install_tools
        for s in "${services[@]}"; do start_one "$s"; done
        ;;
    stop)
        for s in "${services[@]}"; do stop_one "$s"; done
        ;;
    status)
        for s in "${services[@]}"; do
            if listening "$(port_of "$s")"; then echo "$s: up"; else echo "$s: down"; fi
        done
        ;;
    *)
        echo "usage: $0 start|stop|status [azurite|cosmos]..." >&2
        exit 2
        ;;
esac
