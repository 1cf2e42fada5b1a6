#!/usr/bin/env bash
# What the build needs beyond Rust: clang (libclang, for bindgen) and protoc
# for the `postgres` feature's libpg_query binding. `.ci/run` calls this
# before its first build; scripts/test.sh calls it too.
set -euo pipefail
missing=""
command -v clang >/dev/null || missing="$missing clang"
ls /usr/lib/llvm-*/lib/libclang.so* >/dev/null 2>&1 || missing="$missing libclang-dev"
command -v protoc >/dev/null || missing="$missing protobuf-compiler"
if [ -n "$missing" ]; then
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing >/dev/null
fi
