#!/usr/bin/env bash
# Runs every test of the workspace, first installing what the tests need:
# the OpenAI Agents SDK (pip `openai-agents`), whose strict-schema check the
# schema tests run over every exported tool, the MCP Python SDK (pip `mcp`),
# the client of the MCP test, redis-server (apt), started on a free port
# for the Redis backend's tests, and the real sinks the validator tests run
# unguarded values against (apt: git, rsync, curl, perl, nodejs). Ends with
# one total line.
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
missing=""
for pair in redis-server:redis-server rsync:rsync curl:curl git:git perl:perl node:nodejs; do
    command -v "${pair%%:*}" >/dev/null || missing="$missing ${pair#*:}"
done
if [ -n "$missing" ]; then
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq && $sudo apt-get install -y -qq $missing >/dev/null
fi
redis_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no >/dev/null &
redis_pid=$!
export GUARD_TEST_REDIS_URL="redis://127.0.0.1:$redis_port/"
for _ in $(seq 100); do
    redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break
    sleep 0.1
done

log=$(mktemp)
trap 'rm -f "$log"; kill "$redis_pid" 2>/dev/null' EXIT
# --all-features: the `guard` CLI and its tests are behind the `cli` feature.
cargo test --workspace --all-features 2>&1 | tee "$log"
# Cargo prints one summary per test binary; the last may be a crate with no doctests.
awk '/^test result:/ { passed += $4; failed += $6 }
     END { printf "tests: %d passed, %d failed\n", passed, failed }' "$log"
