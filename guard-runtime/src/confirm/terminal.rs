//! A confirmer for command-line tools: asks on stderr, reads the answer
//! from stdin, and takes anything but a clear yes as no.

use std::fmt;
use std::io::{BufRead, Write};
use std::sync::{Arc, Mutex};

use super::{ConfirmRequest, Confirmer, Decision};
use crate::outcome::safe_text;
use crate::registry::BoxFuture;
use crate::scan::{SecretScanner, redact};

/// Longest argument text shown in the prompt.
const MAX_SHOWN_CHARS: usize = 600;

type Io = (Box<dyn BufRead + Send>, Box<dyn Write + Send>);

/// Prompts a person at the terminal: `[y]es`, `[N]o` (the default),
/// `[a]lways` (this tool, this session) or `ne[v]er`. The arguments are
/// shown with control characters removed (no terminal escapes from the
/// model) and credentials redacted.
///
/// ```
/// # #[tokio::main(flavor = "multi_thread")]
/// # async fn main() {
/// use guard_runtime::{ApprovalDigest, CallContext, ConfirmRequest, Confirmer, Decision, Risk, TerminalConfirmer};
///
/// let answers = std::io::Cursor::new(b"y\n".to_vec());
/// let confirmer = TerminalConfirmer::with_io(answers, std::io::sink());
/// # let args = serde_json::json!({"order": 7});
/// # let ctx = CallContext::new("agent");
/// # let request = ConfirmRequest::new("c1", "refund", Risk::High, &args, &ctx);
/// assert_eq!(confirmer.confirm(request).await, Decision::Approve);
/// # }
/// ```
#[derive(Clone)]
pub struct TerminalConfirmer {
    io: Arc<Mutex<Io>>,
}

impl TerminalConfirmer {
    /// Asks on stderr and reads stdin.
    pub fn new() -> Self {
        TerminalConfirmer::with_io(std::io::BufReader::new(std::io::stdin()), std::io::stderr())
    }

    /// Asks on `writer` and reads answers from `reader` (for tests and
    /// other terminals).
    pub fn with_io(
        reader: impl BufRead + Send + 'static,
        writer: impl Write + Send + 'static,
    ) -> Self {
        TerminalConfirmer {
            io: Arc::new(Mutex::new((Box::new(reader), Box::new(writer)))),
        }
    }
}

impl Default for TerminalConfirmer {
    fn default() -> Self {
        TerminalConfirmer::new()
    }
}

impl fmt::Debug for TerminalConfirmer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TerminalConfirmer")
    }
}

fn shown(text: &str) -> String {
    let text = safe_text(text, MAX_SHOWN_CHARS);
    let findings = SecretScanner::global().scan(&text);
    if findings.is_empty() {
        text
    } else {
        redact(&text, &findings)
    }
}

impl Confirmer for TerminalConfirmer {
    fn confirm<'a>(&'a self, request: ConfirmRequest<'a>) -> BoxFuture<'a, Decision> {
        let prompt = format!(
            "\nguard: agent `{}` wants to call `{}` (risk {}; {}).\n  arguments: {}\nAllow? [y]es / [N]o / [a]lways / ne[v]er: ",
            shown(request.context.agent_id()),
            request.tool,
            request.risk,
            request.reason,
            shown(&request.arguments.to_string()),
        );
        let io = self.io.clone();
        Box::pin(async move {
            // Reading a terminal blocks; keep it off the async workers.
            let asked = tokio::task::spawn_blocking(move || {
                let mut io = io.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                let (reader, writer) = &mut *io;
                writer.write_all(prompt.as_bytes()).ok()?;
                writer.flush().ok()?;
                let mut line = String::new();
                reader.read_line(&mut line).ok()?;
                Some(line)
            })
            .await;
            match asked
                .ok()
                .flatten()
                .as_deref()
                .map(|l| l.trim().to_ascii_lowercase())
            {
                Some(answer) if answer == "y" || answer == "yes" => Decision::Approve,
                Some(answer) if answer == "a" || answer == "always" => Decision::ApproveAlways,
                Some(answer) if answer == "v" || answer == "never" => Decision::DenyAlways {
                    message: Some("the user declined this tool for this session".to_owned()),
                },
                _ => Decision::deny("the user declined this call"),
            }
        })
    }
}
