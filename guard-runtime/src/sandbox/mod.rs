//! Isolated execution: tools marked `sandbox` run in a worker process, not
//! in the agent.
//!
//! A worker is the agent's own binary started again; a constructor that
//! runs before `main` turns it into a worker, so `main` needs no code for
//! it. The worker locks itself down before it reads a call:
//!
//! - resource limits: address space, CPU seconds, open files, file size,
//!   no core dumps, and no child processes (seccomp) unless the profile
//!   allows some (RLIMIT_NPROC);
//! - Landlock: reads, writes and program runs beneath the profile's roots
//!   only (by default the tool's path-validator root, read-only); TCP
//!   connections to the profile's ports only; no signals or abstract Unix
//!   sockets across the sandbox's edge;
//! - every capability dropped, `PR_SET_NO_NEW_PRIVS`, and a seccomp deny
//!   list (ptrace, bpf, mount, namespaces, keyctl, io_uring, kexec, module
//!   loading, raising limits, leaving the process group, and sockets
//!   unless the profile lists ports);
//! - an environment with only the variables the profile lists.
//!
//! Arguments, the validators' artifacts (a `CheckedPath` arrives as
//! checked) and the caller's context go over a pipe as JSON; the reply
//! comes back bounded by the profile's output limit. The worker runs in its
//! own process group, killed whole when the call times out, so a blocking
//! tool is really cancelled and nothing it started outlives it. A worker
//! that dies answers `Failed` with the reason (`MemoryLimit`, `CpuLimit`,
//! `FileSizeLimit`, `OutputLimit`, `Crashed { signal }`); the agent goes on.
//!
//! When a layer the profile needs is missing on the running kernel, the
//! call is refused with `SandboxUnavailable { missing }` unless the profile
//! says `best_effort`. Every audit record of a sandboxed call names the
//! layers that held. `guard sandbox check` prints what this kernel offers.
//!
//! What cannot cross into a worker: state the application set up in `main`
//! (a worker never runs `main`; initialise lazily instead), and handles
//! captured in statics at run time. Tools see their arguments, the context
//! and what the validators checked, exactly as in process.

mod layers;
mod profile;

#[cfg(all(feature = "sandbox", target_os = "linux"))]
mod cgroup;
#[cfg(all(feature = "sandbox", target_os = "linux"))]
mod fs;
#[cfg(all(feature = "sandbox", target_os = "linux"))]
mod pool;
#[cfg(all(feature = "sandbox", target_os = "linux"))]
mod seccomp;
#[cfg(all(feature = "sandbox", target_os = "linux"))]
mod wire;
#[cfg(all(feature = "sandbox", target_os = "linux"))]
mod worker;

pub use layers::SandboxLayers;
pub use profile::SandboxProfile;

use std::sync::Arc;

/// Whether this build can run sandboxed tools (the `sandbox` feature, on Linux).
pub const AVAILABLE: bool = cfg!(all(feature = "sandbox", target_os = "linux"));

/// The profile name `#[secure_tool(sandbox)]` uses.
pub const DEFAULT_PROFILE: &str = "default";

/// What the running kernel offers, for `guard sandbox check`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SandboxSupport {
    /// Landlock file-system rules.
    pub landlock_filesystem: bool,
    /// Landlock TCP port rules (ABI 4).
    pub landlock_tcp: bool,
    /// Landlock signal and abstract-socket scopes (ABI 6).
    pub landlock_scopes: bool,
    /// seccomp filters.
    pub seccomp: bool,
    /// A pids cgroup the agent may create children in (needed by profiles
    /// that allow processes).
    pub pids_cgroup: bool,
    /// The layers a default profile gets here.
    pub layers: SandboxLayers,
}

/// Finds what the running kernel offers, without restricting this process.
///
/// ```
/// let support = guard_runtime::sandbox::support();
/// # #[cfg(all(feature = "sandbox", target_os = "linux"))]
/// assert!(support.layers.contains(guard_runtime::sandbox::SandboxLayers::MEMORY));
/// ```
pub fn support() -> SandboxSupport {
    #[cfg(all(feature = "sandbox", target_os = "linux"))]
    {
        let landlock = fs::supported();
        let seccomp = std::fs::read_to_string("/proc/self/status")
            .map(|status| status.lines().any(|line| line.starts_with("Seccomp:")))
            .unwrap_or(false);
        let mut layers = SandboxLayers::MEMORY
            | SandboxLayers::CPU
            | SandboxLayers::OPEN_FILES
            | SandboxLayers::FILE_SIZE
            | SandboxLayers::CAPABILITIES
            | SandboxLayers::ENVIRONMENT
            | SandboxLayers::KILL_GROUP;
        if landlock.filesystem {
            layers |= SandboxLayers::FILESYSTEM;
        }
        if landlock.scopes {
            layers |= SandboxLayers::IPC_SCOPE;
        }
        if seccomp {
            layers |= SandboxLayers::SECCOMP
                | SandboxLayers::NO_NEW_PRIVS
                | SandboxLayers::PROCESSES
                | SandboxLayers::NETWORK;
        }
        SandboxSupport {
            landlock_filesystem: landlock.filesystem,
            landlock_tcp: landlock.tcp,
            landlock_scopes: landlock.scopes,
            seccomp,
            pids_cgroup: cgroup::writable(),
            layers,
        }
    }
    #[cfg(not(all(feature = "sandbox", target_os = "linux")))]
    SandboxSupport {
        landlock_filesystem: false,
        landlock_tcp: false,
        landlock_scopes: false,
        seccomp: false,
        pids_cgroup: false,
        layers: SandboxLayers::NONE,
    }
}

/// A tool's sandbox, as the policy plan resolved it.
#[cfg_attr(not(all(feature = "sandbox", target_os = "linux")), allow(dead_code))]
#[derive(Debug, Clone)]
pub(crate) struct ToolSandbox {
    pub(crate) name: Arc<str>,
    pub(crate) profile: SandboxProfile,
}

/// The worker pools of a guard, one per distinct profile.
#[derive(Debug, Default)]
pub(crate) struct Sandboxes {
    #[cfg(all(feature = "sandbox", target_os = "linux"))]
    pools: std::sync::Mutex<std::collections::HashMap<SandboxProfile, Arc<pool::Pool>>>,
}

#[cfg(all(feature = "sandbox", target_os = "linux"))]
impl Sandboxes {
    fn pool(&self, profile: &SandboxProfile) -> Arc<pool::Pool> {
        let mut pools = self
            .pools
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(pool) = pools.get(profile) {
            return Arc::clone(pool);
        }
        let pool = pool::Pool::new(profile.clone());
        pool.fill();
        pools.insert(profile.clone(), Arc::clone(&pool));
        pool
    }

    /// Starts the workers of each profile and waits for them.
    pub(crate) async fn warm<'a>(
        &self,
        profiles: impl IntoIterator<Item = &'a SandboxProfile>,
    ) -> Result<(), crate::FailReason> {
        for profile in profiles {
            self.pool(profile).warm().await?;
        }
        Ok(())
    }

    /// The layers the profile's workers reported (none before its first worker).
    pub(crate) fn enforced(&self, profile: &SandboxProfile) -> SandboxLayers {
        let pools = self
            .pools
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        pools
            .get(profile)
            .map_or(SandboxLayers::NONE, |pool| pool.enforced())
    }

    /// One call as a worker reads it: taken before the arguments are bound
    /// in process (binding consumes the validators' artifacts).
    pub(crate) fn request(
        tool: &str,
        arguments: &serde_json::Value,
        checked: &crate::validate::CheckedArgs,
        ctx: &crate::CallContext,
    ) -> Vec<u8> {
        let request = wire::Request {
            tool: tool.to_owned(),
            arguments: arguments.clone(),
            artifacts: wire::artifacts_to_wire(checked),
            context: wire::WireContext::from_context(ctx),
        };
        let mut line = serde_json::to_vec(&request).unwrap_or_default();
        line.push(b'\n');
        line
    }

    /// The call, bound to run in a worker of the tool's profile.
    pub(crate) fn invocation(
        &self,
        sandbox: &ToolSandbox,
        request: Vec<u8>,
    ) -> crate::registry::Invocation {
        let pool = self.pool(&sandbox.profile);
        crate::registry::Invocation::asynchronous(async move { pool.call(request).await })
    }
}
