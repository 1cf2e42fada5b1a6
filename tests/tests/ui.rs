//! Compile errors of `#[secure_tool]`, compared byte for byte with the
//! expected compiler output in tests/ui/*.stderr. The toolchain is pinned in
//! rust-toolchain.toml because rustc's wording changes between releases.
//! Regenerate with `TRYBUILD=overwrite cargo test -p guard-tests --test ui`.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("ui/*.rs");
}
