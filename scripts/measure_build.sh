#!/usr/bin/env bash
# Build times, as the README reports them: a clean build of guard-runtime
# with default features, a clean build of the whole workspace, and a user
# crate with 50 `#[secure_tool]`s: its own first build (guard-runtime
# already built) and an incremental rebuild after one tool body changed.
# Everything goes to target/build-measure/; nothing else is touched.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=$root/target/build-measure
rm -rf "$out"
mkdir -p "$out/fifty/src"

seconds() { # runs "$@" and prints how long it took
    local start end
    start=$(date +%s.%N)
    "$@" >/dev/null 2>&1
    end=$(date +%s.%N)
    python3 -c "print(f'{$end - $start:.1f} s')"
}

cat > "$out/fifty/Cargo.toml" <<TOML
[package]
name = "fifty-tools"
version = "0.1.0"
edition = "2024"
publish = false

[dependencies]
guard-runtime = { path = "$root/guard-runtime" }

[workspace]
TOML
python3 - "$out/fifty/src/main.rs" <<'PY'
import sys
tools = []
for i in range(50):
    tools.append(f'''
/// Tool {i}: reads a record.
#[secure_tool(risk = "low")]
fn tool_{i}(#[arg(path)] path: String, limit: Option<u32>, verbose: bool) -> String {{
    format!("tool {i}: {{path}} {{limit:?}} {{verbose}}")
}}
''')
open(sys.argv[1], "w").write("use guard_runtime::secure_tool;\n" + "".join(tools) + '''
fn main() {
    let guard = guard_runtime::Guard::builder().build().unwrap();
    println!("{}", guard.openai_tools().as_array().unwrap().len());
}
''')
PY

echo "guard-runtime, default features, clean: $(CARGO_TARGET_DIR=$out/runtime seconds cargo build -p guard-runtime)"
echo "workspace (all members, their features), clean: $(CARGO_TARGET_DIR=$out/workspace seconds cargo build --workspace)"
cd "$out/fifty"
export CARGO_TARGET_DIR=$out/fifty-target
cargo build -p guard-runtime >/dev/null 2>&1 || cargo build >/dev/null 2>&1 || true
touch src/main.rs
echo "a crate with 50 tools, its own build (guard-runtime built): $(seconds cargo build)"
sed -i 's/format!("tool 7: /format!("tool seven: /' src/main.rs
echo "the same after editing one tool body: $(seconds cargo build)"
echo "tools registered: $(cargo run --quiet)"
