//! `guard`: guard's validators, scanners, audit and policy tools from the
//! command line (see `guard_runtime::cli`).

fn main() -> std::process::ExitCode {
    guard_runtime::cli::main()
}
