//! What a sandbox profile allows: limits, file-system roots, network ports
//! and environment. Written in Rust with the builder methods or in a policy
//! file as `[sandboxes.NAME]`.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// The limits and permissions of the worker processes of one profile.
///
/// Every field has a strict default: 512 MiB of address space, 10 CPU
/// seconds, 64 open files, no child processes, 16 MiB per written file,
/// 1 MiB of output, no file-system access beyond the tool's path root
/// (read-only), no network, an empty environment, two pre-started workers,
/// one call per worker.
///
/// ```
/// use guard_runtime::sandbox::SandboxProfile;
///
/// let profile = SandboxProfile::default()
///     .memory_mb(256)
///     .read("/srv/docs")
///     .write("/srv/out")
///     .connect(443);
/// assert_eq!(profile.memory_limit_mb(), 256);
/// assert_eq!(profile.connect_ports(), &[443]);
/// ```
///
/// In a policy file the same profile is a section; tools name it with
/// `sandbox = "docs"` in their attribute or their `[tools.NAME]` section:
///
/// ```toml
/// [sandboxes.docs]
/// memory_mb = 256
/// read = ["/srv/docs"]
/// write = ["/srv/out"]
/// connect = [443]
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SandboxProfile {
    /// Address space of the worker (RLIMIT_AS), MiB.
    pub(crate) memory_mb: u64,
    /// CPU time of the worker (RLIMIT_CPU), seconds; with `max_calls > 1`
    /// it is shared by the calls one worker serves.
    pub(crate) cpu_seconds: u64,
    /// Open file descriptors (RLIMIT_NOFILE).
    pub(crate) open_files: u64,
    /// Child processes the tool may start; 0 forbids `fork` and process
    /// `clone` outright (seccomp). Threads are always allowed.
    pub(crate) processes: u64,
    /// Largest file the tool may write (RLIMIT_FSIZE), MiB.
    pub(crate) file_size_mb: u64,
    /// Largest reply the worker may send, KiB.
    pub(crate) output_kb: u64,
    /// Trees the tool may read (Landlock).
    pub(crate) read: Vec<PathBuf>,
    /// Trees the tool may read and write.
    pub(crate) write: Vec<PathBuf>,
    /// Trees the tool may read and execute programs from.
    pub(crate) exec: Vec<PathBuf>,
    /// TCP ports the tool may connect to; empty means no network at all.
    pub(crate) connect: Vec<u16>,
    /// Environment variables passed through from the agent (nothing else is).
    pub(crate) env: Vec<String>,
    /// Workers kept started and waiting.
    pub(crate) pool: usize,
    /// Calls one worker serves before it is replaced (1: a fresh process
    /// per call, so no call sees what an earlier one left behind).
    pub(crate) max_calls: u32,
    /// Run even when a layer this profile asks for is missing on this kernel
    /// (the missing layers are reported); by default such calls are refused.
    pub(crate) best_effort: bool,
}

impl Default for SandboxProfile {
    fn default() -> Self {
        SandboxProfile {
            memory_mb: 512,
            cpu_seconds: 10,
            open_files: 64,
            processes: 0,
            file_size_mb: 16,
            output_kb: 1024,
            read: Vec::new(),
            write: Vec::new(),
            exec: Vec::new(),
            connect: Vec::new(),
            env: Vec::new(),
            pool: 2,
            max_calls: 1,
            best_effort: false,
        }
    }
}

impl SandboxProfile {
    /// Sets the address-space limit, MiB.
    #[must_use]
    pub fn memory_mb(mut self, mib: u64) -> Self {
        self.memory_mb = mib;
        self
    }

    /// Sets the CPU-time limit, seconds.
    #[must_use]
    pub fn cpu_seconds(mut self, seconds: u64) -> Self {
        self.cpu_seconds = seconds;
        self
    }

    /// Sets the open-file limit.
    #[must_use]
    pub fn open_files(mut self, count: u64) -> Self {
        self.open_files = count;
        self
    }

    /// Lets the tool start up to `count` child processes (0: none).
    #[must_use]
    pub fn processes(mut self, count: u64) -> Self {
        self.processes = count;
        self
    }

    /// Sets the largest file the tool may write, MiB.
    #[must_use]
    pub fn file_size_mb(mut self, mib: u64) -> Self {
        self.file_size_mb = mib;
        self
    }

    /// Sets the largest reply, KiB.
    #[must_use]
    pub fn output_kb(mut self, kib: u64) -> Self {
        self.output_kb = kib;
        self
    }

    /// Lets the tool read a tree.
    #[must_use]
    pub fn read(mut self, root: impl Into<PathBuf>) -> Self {
        self.read.push(root.into());
        self
    }

    /// Lets the tool read and write a tree.
    #[must_use]
    pub fn write(mut self, root: impl Into<PathBuf>) -> Self {
        self.write.push(root.into());
        self
    }

    /// Lets the tool read a tree and run programs from it.
    #[must_use]
    pub fn exec(mut self, root: impl Into<PathBuf>) -> Self {
        self.exec.push(root.into());
        self
    }

    /// Lets the tool connect to a TCP port (any address).
    #[must_use]
    pub fn connect(mut self, port: u16) -> Self {
        self.connect.push(port);
        self
    }

    /// Passes an environment variable through to the worker.
    #[must_use]
    pub fn env(mut self, name: impl Into<String>) -> Self {
        self.env.push(name.into());
        self
    }

    /// Sets how many workers wait started.
    #[must_use]
    pub fn pool(mut self, workers: usize) -> Self {
        self.pool = workers;
        self
    }

    /// Sets how many calls one worker serves before it is replaced.
    #[must_use]
    pub fn max_calls(mut self, calls: u32) -> Self {
        self.max_calls = calls.max(1);
        self
    }

    /// Runs even when a requested layer is missing (reported, not refused).
    #[must_use]
    pub fn best_effort(mut self, yes: bool) -> Self {
        self.best_effort = yes;
        self
    }

    /// The address-space limit, MiB.
    pub fn memory_limit_mb(&self) -> u64 {
        self.memory_mb
    }

    /// The TCP ports the tool may connect to.
    pub fn connect_ports(&self) -> &[u16] {
        &self.connect
    }

    /// The profile as used for one tool: with no roots of its own, the tool
    /// reads its path validator's root.
    pub(crate) fn for_tool(&self, path_root: Option<&std::path::Path>) -> SandboxProfile {
        let mut profile = self.clone();
        if profile.read.is_empty()
            && profile.write.is_empty()
            && profile.exec.is_empty()
            && let Some(root) = path_root
        {
            profile.read.push(root.to_path_buf());
        }
        profile.max_calls = profile.max_calls.max(1);
        profile
    }
}
