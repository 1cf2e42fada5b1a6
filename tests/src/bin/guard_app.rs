//! An application's own `guard` command: the same commands as the stock
//! binary, over this binary's tools (`tests/tests/policy_checks.rs`).

use guard_runtime::secure_tool;

/// Fetch a page.
#[secure_tool]
fn fetch_url(url: String) -> String {
    url
}

/// Refund an order.
#[secure_tool(risk = "high", sink = "payments")]
fn refund(#[arg(resource = "Order")] order_id: String, cents: u32) -> String {
    format!("{order_id} {cents}")
}

fn main() -> std::process::ExitCode {
    guard_runtime::cli::main()
}
