//! The agent side: pre-started workers of one profile, a call sent to one
//! of them, and the worker's process group killed whenever a call ends
//! early (timeout, cancellation) or the worker is done.

use std::os::unix::process::ExitStatusExt as _;
use std::process::Stdio;
use std::sync::atomic::{AtomicU16, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout};

use super::cgroup::PidsCgroup;
use super::layers::SandboxLayers;
use super::profile::SandboxProfile;
use super::wire::{Ready, Reply, Setup};
use super::worker::WORKER_ENV;
use crate::exec::{ToolFailure, ToolResult};
use crate::outcome::FailReason;

/// How long a new worker may take to lock itself down and say so.
const START_TIMEOUT: Duration = Duration::from_secs(10);
/// The part of a worker's stderr kept to classify how it died.
const STDERR_TAIL: usize = 4096;
/// Room for the JSON around a reply's content.
const REPLY_OVERHEAD: usize = 4096;

/// The workers of one profile.
pub(crate) struct Pool {
    profile: SandboxProfile,
    setup: Vec<u8>,
    idle: Mutex<Vec<Worker>>,
    starting: AtomicUsize,
    /// The layers the last worker reported (for audit records).
    enforced: AtomicU16,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("profile", &self.profile)
            .field("idle", &self.idle.lock().map(|i| i.len()).unwrap_or(0))
            .finish_non_exhaustive()
    }
}

struct Worker {
    child: Child,
    /// Also its process group's id (kept: `Child` forgets it once reaped).
    pid: Option<rustix::process::Pid>,
    cgroup: Option<PidsCgroup>,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    stderr: Arc<Mutex<Vec<u8>>>,
    /// Ends when the worker's stderr closes.
    stderr_reader: Option<tokio::task::JoinHandle<()>>,
    ready: Ready,
    calls_left: u32,
}

impl Worker {
    /// Kills the worker's process group: a grandchild the tool started
    /// dies with it.
    fn kill_group(&self) {
        if let Some(pid) = self.pid {
            let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.kill_group();
        if let Some(cgroup) = self.cgroup.take().and_then(PidsCgroup::try_remove)
            && let Ok(handle) = tokio::runtime::Handle::try_current()
        {
            handle.spawn(cgroup.remove());
        }
    }
}

impl Pool {
    pub(crate) fn new(profile: SandboxProfile) -> Arc<Pool> {
        let mut setup = serde_json::to_vec(&Setup {
            profile: profile.clone(),
        })
        .expect("a profile serializes");
        setup.push(b'\n');
        if profile.processes > 0 {
            super::cgroup::sweep();
        }
        Arc::new(Pool {
            profile,
            setup,
            idle: Mutex::new(Vec::new()),
            starting: AtomicUsize::new(0),
            enforced: AtomicU16::new(0),
        })
    }

    /// The layers the most recent worker enforced.
    pub(crate) fn enforced(&self) -> SandboxLayers {
        SandboxLayers::from_bits(self.enforced.load(Ordering::Relaxed))
    }

    /// Starts workers until `pool` of them wait (or are being started).
    pub(crate) fn fill(self: &Arc<Self>) {
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let waiting = self.idle.lock().map(|idle| idle.len()).unwrap_or(0);
        let starting = self.starting.load(Ordering::Relaxed);
        for _ in (waiting + starting)..self.profile.pool {
            self.starting.fetch_add(1, Ordering::Relaxed);
            let pool = Arc::clone(self);
            handle.spawn(async move {
                let worker = pool.start().await;
                pool.starting.fetch_sub(1, Ordering::Relaxed);
                if let Ok(worker) = worker
                    && let Ok(mut idle) = pool.idle.lock()
                {
                    idle.push(worker);
                }
            });
        }
    }

    /// Waits until the pool holds its workers (for start-up and benches).
    pub(crate) async fn warm(self: &Arc<Self>) -> Result<(), FailReason> {
        while self.idle.lock().map(|i| i.len()).unwrap_or(0) < self.profile.pool {
            let worker = self.start().await?;
            if let Ok(mut idle) = self.idle.lock() {
                idle.push(worker);
            }
        }
        Ok(())
    }

    /// Runs one call in a worker. Dropping the future kills the worker.
    pub(crate) async fn call(self: &Arc<Self>, request: Vec<u8>) -> ToolResult {
        let fail = |reason| Err(ToolFailure::Failed(reason));
        if tokio::runtime::Handle::try_current().is_err() {
            return fail(FailReason::SandboxUnavailable {
                missing: SandboxLayers::KILL_GROUP,
            });
        }
        let idle = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        let mut worker = match idle {
            Some(worker) => worker,
            None => match self.start().await {
                Ok(worker) => worker,
                Err(reason) => return fail(reason),
            },
        };
        self.fill();
        if !worker.ready.missing.is_empty() && !self.profile.best_effort {
            return fail(FailReason::SandboxUnavailable {
                missing: worker.ready.missing,
            });
        }

        if worker.stdin.write_all(&request).await.is_err() {
            return fail(worker.died().await);
        }
        let limit = usize::try_from(self.profile.output_kb)
            .unwrap_or(usize::MAX)
            .saturating_mul(1024)
            .saturating_add(REPLY_OVERHEAD);
        let line = match read_line(&mut worker.stdout, limit).await {
            Line::Full(line) => line,
            Line::TooLong => return fail(FailReason::OutputLimit),
            Line::Closed => return fail(worker.died().await),
        };
        let reply: Reply = match serde_json::from_slice(&line) {
            Ok(reply) => reply,
            Err(_) => return fail(FailReason::WorkerFailed),
        };
        worker.calls_left -= 1;
        if worker.calls_left > 0
            && let Ok(mut idle) = self.idle.lock()
        {
            idle.push(worker);
        }
        match reply {
            Reply::Ok(content) => Ok(content),
            Reply::Error(message) => Err(ToolFailure::Error(message)),
            Reply::Unserializable => Err(ToolFailure::Unserializable),
            Reply::Panicked => fail(FailReason::Panicked),
            Reply::Invalid(_) | Reply::UnknownTool => fail(FailReason::WorkerFailed),
        }
    }

    async fn start(&self) -> Result<Worker, FailReason> {
        let failed = FailReason::WorkerFailed;
        // The running binary itself, even if its file was replaced since.
        let mut command = tokio::process::Command::new("/proc/self/exe");
        command.env_clear();
        for name in &self.profile.env {
            if let Some(value) = std::env::var_os(name) {
                command.env(name, value);
            }
        }
        command
            .env(WORKER_ENV, "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        let mut child = command.spawn().map_err(|_| failed)?;
        let (Some(mut stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err(failed);
        };
        // The pids cgroup is in place before the worker reads its setup, so
        // no tool code runs outside it.
        let cgroup = match (self.profile.processes, child.id()) {
            (0, _) => None,
            // The worker's own thread, plus what the tool may start.
            (n, Some(pid)) => PidsCgroup::create(pid, n.saturating_add(1))
                .inspect_err(
                    |e| tracing::debug!(target: "guard::sandbox", error = %e, "no pids cgroup"),
                )
                .ok(),
            (_, None) => None,
        };
        let tail = Arc::new(Mutex::new(Vec::new()));
        let stderr_reader = tokio::spawn(keep_tail(stderr, Arc::clone(&tail)));
        let mut stdout = BufReader::new(stdout);

        let handshake = async {
            stdin.write_all(&self.setup).await.ok()?;
            match read_line(&mut stdout, REPLY_OVERHEAD).await {
                Line::Full(line) => serde_json::from_slice::<Ready>(&line).ok(),
                _ => None,
            }
        };
        let mut ready = match tokio::time::timeout(START_TIMEOUT, handshake).await {
            Ok(Some(ready)) => ready,
            _ => return Err(failed),
        };
        if self.profile.processes > 0 {
            if cgroup.is_some() {
                ready.enforced |= SandboxLayers::PROCESSES;
            } else {
                ready.missing |= SandboxLayers::PROCESSES;
            }
        }
        self.enforced
            .store(ready.enforced.bits(), Ordering::Relaxed);
        Ok(Worker {
            pid: child
                .id()
                .and_then(|id| rustix::process::Pid::from_raw(i32::try_from(id).ok()?)),
            child,
            cgroup,
            stdin,
            stdout,
            stderr: tail,
            stderr_reader: Some(stderr_reader),
            ready,
            calls_left: self.profile.max_calls,
        })
    }
}

impl Worker {
    /// Why a worker that stopped answering is gone.
    async fn died(&mut self) -> FailReason {
        let status = match tokio::time::timeout(Duration::from_secs(5), self.child.wait()).await {
            Ok(Ok(status)) => status,
            _ => return FailReason::WorkerFailed,
        };
        // The last words on stderr say why; whatever the tool started is
        // killed so the pipe closes, and the reader gets to its end.
        self.kill_group();
        if let Some(reader) = self.stderr_reader.take() {
            let _ = tokio::time::timeout(Duration::from_millis(500), reader).await;
        }
        let tail = self.stderr.lock().map(|t| t.clone()).unwrap_or_default();
        let said_oom = memchr::memmem::find(&tail, b"memory allocation of").is_some();
        // For the operator's logs only; the model never sees it.
        tracing::debug!(target: "guard::sandbox", ?status,
            stderr = %String::from_utf8_lossy(&tail[tail.len().saturating_sub(512)..]),
            "sandbox worker died");
        match status.signal() {
            Some(libc::SIGXCPU) => FailReason::CpuLimit,
            Some(libc::SIGXFSZ) => FailReason::FileSizeLimit,
            Some(libc::SIGABRT) if said_oom => FailReason::MemoryLimit,
            Some(signal) => FailReason::Crashed { signal },
            None => FailReason::WorkerFailed,
        }
    }
}

async fn keep_tail(mut stderr: tokio::process::ChildStderr, tail: Arc<Mutex<Vec<u8>>>) {
    let mut buf = [0u8; 1024];
    while let Ok(n) = stderr.read(&mut buf).await {
        if n == 0 {
            break;
        }
        if let Ok(mut tail) = tail.lock() {
            tail.extend_from_slice(&buf[..n]);
            if tail.len() > STDERR_TAIL {
                let cut = tail.len() - STDERR_TAIL;
                tail.drain(..cut);
            }
        }
    }
}

enum Line {
    Full(Vec<u8>),
    TooLong,
    Closed,
}

/// One line of at most `limit` bytes, without reading past it.
async fn read_line<R: AsyncBufRead + Unpin>(reader: &mut R, limit: usize) -> Line {
    let mut line = Vec::new();
    loop {
        let buf = match reader.fill_buf().await {
            Ok([]) | Err(_) => return Line::Closed,
            Ok(buf) => buf,
        };
        if let Some(end) = memchr::memchr(b'\n', buf) {
            if line.len() + end > limit {
                return Line::TooLong;
            }
            line.extend_from_slice(&buf[..end]);
            reader.consume(end + 1);
            return Line::Full(line);
        }
        let n = buf.len();
        if line.len() + n > limit {
            return Line::TooLong;
        }
        line.extend_from_slice(buf);
        reader.consume(n);
    }
}
