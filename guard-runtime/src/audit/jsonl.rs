//! A tamper-evident audit trail: JSON Lines, each record chained to the one
//! before by SHA-256, so an edit, a deletion, a reordering or a truncation
//! shows up in [`verify`].
//!
//! A line is `{"seq":N,"prev":"<hex>","event":{...},"hash":"<hex>"}` where
//! `hash = SHA-256("N\n<prev>\n<event JSON>")` and `prev` is the previous
//! line's `hash` (64 zeros for the first).

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{AuditEvent, AuditSink};

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// When records reach the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Durability {
    /// Flushed to the OS after every record (default): survives a crash of the process.
    #[default]
    Flush,
    /// `fsync` after every record: survives a crash of the machine.
    Sync,
    /// Buffered; flushed when the sink is dropped or [`JsonlAuditSink::flush`] is called.
    Buffered,
}

/// Appends chained records to a JSON Lines file. Safe to share across
/// tasks: records are written whole and in order under one lock.
pub struct JsonlAuditSink {
    state: Mutex<State>,
    durability: Durability,
    failures: AtomicU64,
}

struct State {
    file: BufWriter<File>,
    seq: u64,
    prev: String,
}

impl JsonlAuditSink {
    /// Opens (or creates) the file and continues its chain.
    ///
    /// # Errors
    /// I/O errors, or `InvalidData` when the file's last record cannot be
    /// read (a truncated or foreign file is not silently extended).
    pub fn open(path: impl AsRef<Path>, durability: Durability) -> io::Result<Self> {
        let mut file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(path)?;
        let (seq, prev) = last_link(&mut file)?;
        Ok(JsonlAuditSink {
            state: Mutex::new(State {
                file: BufWriter::new(file),
                seq,
                prev,
            }),
            durability,
            failures: AtomicU64::new(0),
        })
    }

    /// Records that could not be written (each also logged with `tracing`).
    pub fn failures(&self) -> u64 {
        self.failures.load(Ordering::Relaxed)
    }

    /// Flushes buffered records to the OS.
    ///
    /// # Errors
    /// The underlying write error.
    pub fn flush(&self) -> io::Result<()> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .file
            .flush()
    }

    fn append(&self, event: &AuditEvent) -> io::Result<()> {
        let event = serde_json::to_string(event).map_err(io::Error::other)?;
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let seq = state.seq + 1;
        let hash = link_hash(seq, &state.prev, &event);
        let line = format!(
            "{{\"seq\":{seq},\"prev\":\"{}\",\"event\":{event},\"hash\":\"{hash}\"}}\n",
            state.prev
        );
        state.file.write_all(line.as_bytes())?;
        match self.durability {
            Durability::Buffered => {}
            Durability::Flush => state.file.flush()?,
            Durability::Sync => {
                state.file.flush()?;
                state.file.get_ref().sync_data()?;
            }
        }
        state.seq = seq;
        state.prev = hash;
        Ok(())
    }
}

impl AuditSink for JsonlAuditSink {
    fn record(&self, event: &AuditEvent) {
        if let Err(err) = self.append(event) {
            self.failures.fetch_add(1, Ordering::Relaxed);
            tracing::error!(target: "guard::audit", %err, call_id = %event.call_id, "audit record not written");
        }
    }
}

impl fmt::Debug for JsonlAuditSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JsonlAuditSink")
            .field("durability", &self.durability)
            .field("failures", &self.failures())
            .finish()
    }
}

fn link_hash(seq: u64, prev: &str, event: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(format!("{seq}\n{prev}\n").as_bytes());
    hasher.update(event.as_bytes());
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The sequence number and hash of the file's last record.
fn last_link(file: &mut File) -> io::Result<(u64, String)> {
    let len = file.seek(SeekFrom::End(0))?;
    if len == 0 {
        return Ok((0, GENESIS.to_owned()));
    }
    let start = len.saturating_sub(1 << 20);
    file.seek(SeekFrom::Start(start))?;
    let mut tail = String::new();
    file.read_to_string(&mut tail)?;
    if !tail.ends_with('\n') {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "the audit file ends in a partial record",
        ));
    }
    let last = tail.lines().last().unwrap_or_default();
    let record: Value = serde_json::from_str(last).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            "the audit file's last line is not a record",
        )
    })?;
    match (record["seq"].as_u64(), record["hash"].as_str()) {
        (Some(seq), Some(hash)) => Ok((seq, hash.to_owned())),
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "the audit file's last line is not a record",
        )),
    }
}

/// What is wrong with an audit file, at which line (1-based).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChainError {
    /// The line is not a record.
    #[error("line {line}: not an audit record")]
    Malformed {
        /// The line.
        line: usize,
    },
    /// The file ends in the middle of a record.
    #[error("line {line}: truncated record")]
    Truncated {
        /// The line.
        line: usize,
    },
    /// A record's content no longer matches its hash.
    #[error("line {line}: record {seq} was modified")]
    Modified {
        /// The line.
        line: usize,
        /// Its sequence number.
        seq: u64,
    },
    /// Records are missing before this one.
    #[error("line {line}: records {expected} to {} are missing", found - 1)]
    Deleted {
        /// The line.
        line: usize,
        /// The sequence number expected here.
        expected: u64,
        /// The sequence number found.
        found: u64,
    },
    /// A record is out of order.
    #[error("line {line}: record {found} is out of order (expected {expected})")]
    Reordered {
        /// The line.
        line: usize,
        /// The sequence number expected here.
        expected: u64,
        /// The sequence number found.
        found: u64,
    },
    /// A record does not link to the one before it.
    #[error("line {line}: record {seq} does not follow the record before it")]
    Broken {
        /// The line.
        line: usize,
        /// Its sequence number.
        seq: u64,
    },
}

/// Checks a whole audit file; returns the records (the `event` of each line).
///
/// # Errors
/// The first [`ChainError`], or an I/O error reading the file.
pub fn verify(path: impl AsRef<Path>) -> io::Result<Result<Vec<Value>, ChainError>> {
    let mut reader = BufReader::new(File::open(path)?);
    let mut events = Vec::new();
    let mut chain = ChainVerifier::new();
    let mut raw = String::new();
    loop {
        raw.clear();
        if reader.read_line(&mut raw)? == 0 {
            return Ok(Ok(events));
        }
        if !raw.ends_with('\n') {
            return Ok(Err(ChainError::Truncated {
                line: chain.lines_read() + 1,
            }));
        }
        match chain.next_record(raw.trim_end()) {
            Ok(event) => events.push(event),
            Err(problem) => return Ok(Err(problem)),
        }
    }
}

/// Checks an audit file's hash chain one line at a time, as it is read
/// or as it grows (what [`verify`] and a tailing reader share).
///
/// ```
/// use guard_runtime::audit::ChainVerifier;
///
/// let mut chain = ChainVerifier::new();
/// assert!(chain.next_record("not a record").is_err());
/// assert_eq!(chain.lines_read(), 1);
/// ```
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    prev: String,
    expected: u64,
    line: usize,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        ChainVerifier::new()
    }
}

impl ChainVerifier {
    /// A verifier at the start of a file.
    pub fn new() -> Self {
        ChainVerifier {
            prev: GENESIS.to_owned(),
            expected: 1,
            line: 0,
        }
    }

    /// Lines checked so far.
    pub fn lines_read(&self) -> usize {
        self.line
    }

    /// Checks the next whole line (without its line break); returns its
    /// `event`. After an error the chain cannot be followed further.
    ///
    /// # Errors
    /// What is wrong with the line, numbered from the file's start.
    pub fn next_record(&mut self, raw: &str) -> Result<Value, ChainError> {
        self.line += 1;
        let line = self.line;
        let Ok(Value::Object(mut record)) = serde_json::from_str::<Value>(raw) else {
            return Err(ChainError::Malformed { line });
        };
        let (Some(seq), Some(link), Some(hash), Some(event)) = (
            record.get("seq").and_then(Value::as_u64),
            record
                .get("prev")
                .and_then(Value::as_str)
                .map(str::to_owned),
            record
                .get("hash")
                .and_then(Value::as_str)
                .map(str::to_owned),
            record.remove("event"),
        ) else {
            return Err(ChainError::Malformed { line });
        };
        let event_json = serde_json::to_string(&event).expect("a parsed value serializes");
        if link_hash(seq, &link, &event_json) != hash {
            return Err(ChainError::Modified { line, seq });
        }
        let expected = self.expected;
        if seq > expected {
            return Err(ChainError::Deleted {
                line,
                expected,
                found: seq,
            });
        }
        if seq < expected {
            return Err(ChainError::Reordered {
                line,
                expected,
                found: seq,
            });
        }
        if link != self.prev {
            return Err(ChainError::Broken { line, seq });
        }
        self.prev = hash;
        self.expected += 1;
        Ok(event)
    }
}
