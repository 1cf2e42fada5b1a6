//! A pids cgroup per worker, for profiles that let a tool start processes:
//! RLIMIT_NPROC counts the whole user and does not apply to root at all, so
//! the kernel's pids controller is what bounds a fork bomb. The agent sets
//! it up before the worker reads its setup line, so no tool code runs
//! outside it, and removes it once the worker is gone.

use std::path::{Path, PathBuf};
use std::time::Duration;

/// One worker's cgroup.
#[derive(Debug)]
pub(crate) struct PidsCgroup {
    dir: PathBuf,
}

impl PidsCgroup {
    /// Creates a cgroup under the agent's own pids cgroup that holds at most
    /// `tasks` tasks (threads count), and moves `pid` into it.
    pub(crate) fn create(pid: u32, tasks: u64) -> Result<PidsCgroup, String> {
        let base = own_pids_cgroup().ok_or("no writable pids cgroup")?;
        let dir = base.join(format!("guard-worker-{}-{pid}", std::process::id()));
        std::fs::create_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let group = PidsCgroup { dir };
        std::fs::write(group.dir.join("pids.max"), tasks.to_string())
            .map_err(|e| format!("pids.max: {e}"))?;
        std::fs::write(group.dir.join("cgroup.procs"), pid.to_string())
            .map_err(|e| format!("cgroup.procs: {e}"))?;
        Ok(group)
    }

    /// Removes the cgroup if its tasks are gone within a few milliseconds
    /// (they were just killed); else hands it back.
    pub(crate) fn try_remove(self) -> Option<Self> {
        for _ in 0..10 {
            if std::fs::remove_dir(&self.dir).is_ok() {
                return None;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        Some(self)
    }

    /// Removes the cgroup once its tasks are gone.
    pub(crate) async fn remove(self) {
        for _ in 0..50 {
            if std::fs::remove_dir(&self.dir).is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tracing::warn!(target: "guard::sandbox", dir = %self.dir.display(),
            "a worker's cgroup could not be removed");
    }
}

/// Whether the agent can create pids cgroups (tried, then removed).
pub(crate) fn writable() -> bool {
    let Some(base) = own_pids_cgroup() else {
        return false;
    };
    let probe = base.join(format!("guard-probe-{}", std::process::id()));
    let made =
        std::fs::create_dir(&probe).is_ok() && std::fs::write(probe.join("pids.max"), "1").is_ok();
    let _ = std::fs::remove_dir(&probe);
    made
}

/// Removes the empty cgroups of agents that are gone (an agent that exits
/// leaves its idle workers' cgroups behind: the workers end on their own
/// when their pipe closes, but nothing is left to remove the directory).
pub(crate) fn sweep() {
    let Some(base) = own_pids_cgroup() else {
        return;
    };
    let Ok(entries) = std::fs::read_dir(&base) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix("guard-worker-")) else {
            continue;
        };
        let agent = rest.split('-').next().unwrap_or("");
        if !Path::new("/proc").join(agent).exists() {
            // Fails harmlessly while tasks remain.
            let _ = std::fs::remove_dir(entry.path());
        }
    }
}

/// The agent's pids cgroup: cgroup v1's `pids` hierarchy, or a v2 cgroup
/// whose children get the pids controller.
fn own_pids_cgroup() -> Option<PathBuf> {
    let table = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    for line in table.lines() {
        let mut parts = line.splitn(3, ':');
        let (_, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
        let relative = path.trim_start_matches('/');
        if controllers.split(',').any(|c| c == "pids") {
            let dir = Path::new("/sys/fs/cgroup/pids").join(relative);
            if dir.is_dir() {
                return Some(dir);
            }
        }
        if controllers.is_empty() {
            let dir = Path::new("/sys/fs/cgroup").join(relative);
            let delegated = std::fs::read_to_string(dir.join("cgroup.subtree_control"))
                .is_ok_and(|c| c.split_whitespace().any(|c| c == "pids"));
            if delegated {
                return Some(dir);
            }
        }
    }
    None
}
