//! Following an audit file as it grows: whole lines only, each checked
//! against the hash chain while the chain holds.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde_json::Value;

use crate::audit::ChainVerifier;

/// The most read from the file in one poll.
const CHUNK: u64 = 8 << 20;

/// What a poll found.
pub(super) enum Poll {
    /// Nothing new.
    Unchanged,
    /// These events were appended.
    Appended(Vec<Value>),
    /// The file shrank or changed without growing (rewritten, rotated or
    /// edited in place): read it again from the start.
    Restart,
}

pub(super) struct Tail {
    path: PathBuf,
    /// Bytes consumed: up to the end of the last whole line.
    offset: u64,
    modified: Option<SystemTime>,
    chain: ChainVerifier,
    /// The first chain problem, once one is found; later records are
    /// still shown, but nothing after it is verified.
    problem: Option<String>,
}

impl Tail {
    pub(super) fn new(path: &Path) -> Self {
        Tail {
            path: path.to_owned(),
            offset: 0,
            modified: None,
            chain: ChainVerifier::new(),
            problem: None,
        }
    }

    /// The chain's state: `None` while every record read verifies.
    pub(super) fn problem(&self) -> Option<&str> {
        self.problem.as_deref()
    }

    pub(super) fn poll(&mut self) -> io::Result<Poll> {
        let mut file = File::open(&self.path)?;
        let meta = file.metadata()?;
        let (len, modified) = (meta.len(), meta.modified().ok());
        if len < self.offset || (len == self.offset && modified != self.modified && self.offset > 0)
        {
            return Ok(Poll::Restart);
        }
        self.modified = modified;
        if len == self.offset {
            return Ok(Poll::Unchanged);
        }
        file.seek(SeekFrom::Start(self.offset))?;
        // A bounded piece at a time: a large trail is read over several
        // polls, never into memory whole.
        let want = (len - self.offset).min(CHUNK);
        let mut bytes = Vec::with_capacity(usize::try_from(want).unwrap_or(0));
        file.take(want).read_to_end(&mut bytes)?;
        // A line still being written waits for its line break; a "line"
        // longer than a whole piece is no record, and is skipped.
        let end = match bytes.iter().rposition(|&b| b == b'\n') {
            Some(end) => end,
            None if want < CHUNK => return Ok(Poll::Unchanged),
            None => {
                self.offset += want;
                let line = self.chain.lines_read() + 1;
                self.problem
                    .get_or_insert_with(|| format!("line {line}: not an audit record"));
                return Ok(Poll::Appended(Vec::new()));
            }
        };
        self.offset += end as u64 + 1;
        let mut events = Vec::new();
        for line in bytes[..end].split(|&b| b == b'\n') {
            let line = String::from_utf8_lossy(line);
            if self.problem.is_none() {
                match self.chain.next_record(&line) {
                    Ok(event) => {
                        events.push(event);
                        continue;
                    }
                    Err(problem) => self.problem = Some(problem.to_string()),
                }
            }
            // Past a break: shown as written, not verified.
            if let Ok(Value::Object(mut record)) = serde_json::from_str::<Value>(&line)
                && let Some(event) = record.remove("event")
            {
                events.push(event);
            }
        }
        Ok(Poll::Appended(events))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn whole_lines_only_and_a_shrunk_file_is_read_again() {
        let path = std::env::temp_dir().join(format!("guard-tail-{}.jsonl", std::process::id()));
        std::fs::write(&path, "").unwrap();
        let mut tail = Tail::new(&path);
        assert!(matches!(tail.poll().unwrap(), Poll::Unchanged));
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        // Half a line waits for its line break.
        file.write_all(br#"{"seq": 1, "event": {"tool": "a"}"#)
            .unwrap();
        assert!(matches!(tail.poll().unwrap(), Poll::Unchanged));
        file.write_all(b"}\n").unwrap();
        // Not a chained record: the chain is broken at line 1, the event shown.
        let Poll::Appended(events) = tail.poll().unwrap() else {
            panic!("the line was not read");
        };
        assert_eq!(events, [serde_json::json!({"tool": "a"})]);
        assert_eq!(tail.problem(), Some("line 1: not an audit record"));
        std::fs::write(&path, "{}\n").unwrap();
        assert!(matches!(tail.poll().unwrap(), Poll::Restart));
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn a_line_longer_than_a_piece_is_skipped_as_no_record() {
        let path =
            std::env::temp_dir().join(format!("guard-tail-long-{}.jsonl", std::process::id()));
        let mut text = "x".repeat(CHUNK as usize + 10);
        text.push('\n');
        std::fs::write(&path, text).unwrap();
        let mut tail = Tail::new(&path);
        let Poll::Appended(events) = tail.poll().unwrap() else {
            panic!("the piece was not consumed");
        };
        assert!(events.is_empty());
        assert_eq!(tail.problem(), Some("line 1: not an audit record"));
        // The rest of the line is read, and is no record either.
        assert!(matches!(tail.poll().unwrap(), Poll::Appended(e) if e.is_empty()));
        assert!(matches!(tail.poll().unwrap(), Poll::Unchanged));
        std::fs::remove_file(&path).unwrap();
    }
}
