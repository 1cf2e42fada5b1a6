use guard_runtime::validate::{CheckedPath, CheckedUrl};
use guard_runtime::{CallContext, secure_tool};
use std::path::PathBuf;

/// A checked type with no validator to fill it.
#[secure_tool]
fn fetch(target: CheckedUrl) -> String {
    let _ = target;
    String::new()
}

/// A checked type under another validator.
#[secure_tool]
fn read(#[arg(url)] p: Option<CheckedPath>) -> String {
    let _ = p;
    String::new()
}

/// A number under a text validator.
#[secure_tool]
fn count(#[arg(path)] n: u32) -> u32 {
    n
}

/// A path buffer under the URL validator.
#[secure_tool]
fn open(#[arg(url)] p: PathBuf) -> String {
    p.display().to_string()
}

/// The context without its marker.
#[secure_tool]
fn whoami(ctx: CallContext) -> String {
    ctx.agent_id().to_owned()
}

/// Fine: a plain path buffer, and the checked types their validators fill.
#[secure_tool]
fn fine(dir: PathBuf, #[arg(url)] link: CheckedUrl, #[arg(path)] file: CheckedPath) -> String {
    let _ = (link, file);
    dir.display().to_string()
}

fn main() {}
