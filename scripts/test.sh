#!/usr/bin/env bash
# Runs every test of the workspace, first installing what the tests need:
# the OpenAI Agents SDK (pip `openai-agents`), whose strict-schema check the
# schema tests run over every exported tool.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! python3 -c "import agents.strict_schema" 2>/dev/null; then
    python3 -m pip install --quiet --disable-pip-version-check "openai-agents>=0.24"
fi

# --all-features: the `guard` CLI and its tests are behind the `cli` feature.
cargo test --workspace --all-features
