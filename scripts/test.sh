#!/usr/bin/env bash
# Runs every test of the workspace, first installing what the tests need:
# the OpenAI Agents SDK (pip `openai-agents`), whose strict-schema check the
# schema tests run over every exported tool, and the MCP Python SDK (pip
# `mcp`), the client of the MCP test. Ends with one total line.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! python3 -c "import agents.strict_schema" 2>/dev/null; then
    python3 -m pip install --quiet --disable-pip-version-check "openai-agents>=0.24"
fi
# The MCP test drives guard's MCP server with the official Python SDK.
if ! python3 -c "import mcp.client.stdio" 2>/dev/null; then
    python3 -m pip install --quiet --disable-pip-version-check "mcp>=1.9"
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
# --all-features: the `guard` CLI and its tests are behind the `cli` feature.
cargo test --workspace --all-features 2>&1 | tee "$log"
# Cargo prints one summary per test binary; the last may be a crate with no doctests.
awk '/^test result:/ { passed += $4; failed += $6 }
     END { printf "tests: %d passed, %d failed\n", passed, failed }' "$log"
