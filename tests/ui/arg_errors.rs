use guard_runtime::{CallContext, secure_tool};

/// Every `#[arg]` mistake, reported at once.
#[secure_tool]
fn tool(
    #[arg(filesystem)] a: String,
    #[arg(path, url)] b: String,
    #[arg(path(recursive))] c: String,
    #[arg(path(ext = "md"))] d: String,
    #[arg(path(ext = []))] e: String,
    #[arg(path(exists = true))] f: String,
    #[arg(url(ports = [0, 70000]))] g: String,
    #[arg(sql(write = ["drop"], dialect = "cobol"))] h: String,
    #[arg(sql(tables = ["a"], tables = ["b"]))] i: String,
    #[arg(none(x))] j: String,
    #[arg(shell_arg(strict))] k: String,
    #[arg] l: String,
    #[arg(path)] #[arg(url)] m: String,
    #[context] #[arg(path)] ctx: &CallContext,
) -> u32 {
    let _ = (a, b, c, d, e, f, g, h, i, j, k, l, m, ctx);
    1
}

fn main() {}
