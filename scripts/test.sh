#!/usr/bin/env bash
# Runs every test of the workspace, first installing what the tests need:
# the OpenAI Agents SDK (pip `openai-agents`), whose strict-schema check the
# schema tests run over every exported tool, the MCP Python SDK (pip `mcp`),
# the client of the MCP test, redis-server (apt), started on a free port
# for the Redis backend's tests, and the real sinks the validator tests run
# unguarded values against (apt: git, rsync, curl, perl, nodejs), and a
# PostgreSQL and a MariaDB server (apt: postgresql, mariadb-server), each
# started on a free 127.0.0.1 port for the SQL tests (tests/tests/sql.rs),
# which run every refused query against them unguarded first. The engine
# readers need clang and protoc to build (scripts/install-build-deps.sh).
# The dashboard test (tests/tests/dashboard.rs) drives a headless Chromium
# (apt: chromium).
# Ends with one total line.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! python3 -c "import agents.strict_schema" 2>/dev/null; then
    python3 -m pip install --quiet --disable-pip-version-check "openai-agents>=0.24"
fi
# The MCP test drives guard's MCP server with the official Python SDK
# (2.3 or later: protocol 2026-07-28 and its InputRequiredResult round trip).
if ! python3 -c "from mcp.client.client import Client" 2>/dev/null; then
    python3 -m pip install --quiet --disable-pip-version-check "mcp>=2.3"
fi

# The Redis backend's tests run against a real redis-server on 127.0.0.1;
# the sink tests (tests/tests/sinks.rs) run git, find, tar, rsync, curl,
# python3, perl and node.
bash scripts/install-build-deps.sh
missing=""
for pair in redis-server:redis-server rsync:rsync curl:curl git:git perl:perl node:nodejs \
        psql:postgresql mariadbd:mariadb-server mariadb:mariadb-client chromium:chromium; do
    command -v "${pair%%:*}" >/dev/null || [ -x "/usr/sbin/${pair%%:*}" ] || missing="$missing ${pair#*:}"
done
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$missing postgresql"
if [ -n "$missing" ]; then
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing >/dev/null
fi
redis_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no >/dev/null &
redis_pid=$!
export GUARD_TEST_REDIS_URL="redis://127.0.0.1:$redis_port/"
for _ in $(seq 100); do
    redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break
    sleep 0.1
done

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# PostgreSQL and MariaDB refuse to run as root: as root, run them as the
# service users their packages create.
as_user() {
    local user=$1; shift
    if [ "$(id -u)" -eq 0 ]; then runuser -u "$user" -- "$@"; else "$@"; fi
}
db_dir=$(mktemp -d)
chmod 755 "$db_dir"
pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
pg_port=$(free_port)
mkdir -p "$db_dir/pg"
[ "$(id -u)" -eq 0 ] && chown postgres "$db_dir/pg"
as_user postgres "$pg_bin/initdb" -D "$db_dir/pg/data" -U guard --auth=trust -E UTF8 >/dev/null
as_user postgres "$pg_bin/pg_ctl" -D "$db_dir/pg/data" -l "$db_dir/pg/log" -w \
    -o "-p $pg_port -k $db_dir/pg -c listen_addresses=127.0.0.1" start >/dev/null
export GUARD_TEST_POSTGRES_PORT="$pg_port"

my_port=$(free_port)
mkdir -p "$db_dir/my"
[ "$(id -u)" -eq 0 ] && chown mysql "$db_dir/my"
as_user mysql mariadb-install-db --datadir="$db_dir/my/data" --auth-root-authentication-method=normal \
    --skip-test-db >/dev/null 2>&1
as_user mysql /usr/sbin/mariadbd --no-defaults --datadir="$db_dir/my/data" --port="$my_port" \
    --bind-address=127.0.0.1 --socket="$db_dir/my/sock" --pid-file="$db_dir/my/pid" \
    --skip-grant-tables --log-error="$db_dir/my/log" >/dev/null 2>&1 &
my_pid=$!
for _ in $(seq 100); do
    mariadb-admin --no-defaults --protocol=tcp -h 127.0.0.1 -P "$my_port" ping >/dev/null 2>&1 && break
    sleep 0.2
done
export GUARD_TEST_MARIADB_PORT="$my_port"

log=$(mktemp)
# Stops the servers without changing the exit status: a server killed on
# the way out reports 143 to `wait`, which is no failure of the tests.
cleanup() {
    local status=$?
    set +e
    rm -f "$log"
    mariadb-admin --no-defaults --protocol=tcp -h 127.0.0.1 -P "$my_port" -u root shutdown >/dev/null 2>&1
    kill "$redis_pid" "$my_pid" 2>/dev/null
    as_user postgres "$pg_bin/pg_ctl" -D "$db_dir/pg/data" -m immediate stop >/dev/null 2>&1
    wait "$my_pid" 2>/dev/null
    rm -rf "$db_dir"
    exit "$status"
}
trap cleanup EXIT
# --all-features: the `guard` CLI and its tests are behind the `cli` feature.
cargo test --workspace --all-features 2>&1 | tee "$log"
# Cargo prints one summary per test binary; the last may be a crate with no doctests.
awk '/^test result:/ { passed += $4; failed += $6 }
     END { printf "tests: %d passed, %d failed\n", passed, failed }' "$log"
