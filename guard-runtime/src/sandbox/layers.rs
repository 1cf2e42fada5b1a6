//! The isolation layers a worker can stand behind, as a small set that is
//! reported in refusals, audit records and by `guard sandbox check`.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A set of sandbox layers.
///
/// ```
/// use guard_runtime::sandbox::SandboxLayers;
///
/// let layers = SandboxLayers::MEMORY | SandboxLayers::FILESYSTEM;
/// assert!(layers.contains(SandboxLayers::MEMORY));
/// assert_eq!(layers.names().collect::<Vec<_>>(), ["memory", "filesystem"]);
/// assert_eq!(serde_json::to_string(&layers).unwrap(), r#"["memory","filesystem"]"#);
/// ```
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct SandboxLayers(u16);

const NAMES: [&str; 13] = [
    "memory",
    "cpu",
    "open_files",
    "file_size",
    "processes",
    "filesystem",
    "network",
    "ipc_scope",
    "seccomp",
    "no_new_privs",
    "capabilities",
    "environment",
    "kill_group",
];

impl SandboxLayers {
    /// No layers.
    pub const NONE: Self = SandboxLayers(0);
    /// Address-space limit (RLIMIT_AS).
    pub const MEMORY: Self = SandboxLayers(1);
    /// CPU-time limit (RLIMIT_CPU).
    pub const CPU: Self = SandboxLayers(1 << 1);
    /// Open-file limit (RLIMIT_NOFILE).
    pub const OPEN_FILES: Self = SandboxLayers(1 << 2);
    /// Written-file size limit (RLIMIT_FSIZE).
    pub const FILE_SIZE: Self = SandboxLayers(1 << 3);
    /// No child processes (seccomp), or a process limit (RLIMIT_NPROC).
    pub const PROCESSES: Self = SandboxLayers(1 << 4);
    /// File-system access only beneath the profile's roots (Landlock).
    pub const FILESYSTEM: Self = SandboxLayers(1 << 5);
    /// No sockets (seccomp), or TCP connections to the listed ports only
    /// (Landlock).
    pub const NETWORK: Self = SandboxLayers(1 << 6);
    /// No signals to, or abstract Unix sockets of, processes outside the
    /// sandbox (Landlock scopes).
    pub const IPC_SCOPE: Self = SandboxLayers(1 << 7);
    /// The system-call deny list.
    pub const SECCOMP: Self = SandboxLayers(1 << 8);
    /// `PR_SET_NO_NEW_PRIVS`: no privileges gained through exec.
    pub const NO_NEW_PRIVS: Self = SandboxLayers(1 << 9);
    /// Every capability dropped.
    pub const CAPABILITIES: Self = SandboxLayers(1 << 10);
    /// An environment holding only what the profile lists.
    pub const ENVIRONMENT: Self = SandboxLayers(1 << 11);
    /// Its own process group, killed whole on timeout.
    pub const KILL_GROUP: Self = SandboxLayers(1 << 12);

    /// Whether every layer of `other` is in this set.
    pub fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The layers of this set that are not in `other`.
    #[must_use]
    pub fn without(self, other: Self) -> Self {
        SandboxLayers(self.0 & !other.0)
    }

    /// The layer names, in a fixed order.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        NAMES
            .iter()
            .enumerate()
            .filter(move |(bit, _)| self.0 & (1 << bit) != 0)
            .map(|(_, name)| *name)
    }

    #[cfg_attr(not(all(feature = "sandbox", target_os = "linux")), allow(dead_code))]
    pub(crate) fn bits(self) -> u16 {
        self.0
    }

    #[cfg_attr(not(all(feature = "sandbox", target_os = "linux")), allow(dead_code))]
    pub(crate) fn from_bits(bits: u16) -> Self {
        SandboxLayers(bits)
    }

    pub(crate) fn from_name(name: &str) -> Option<Self> {
        NAMES
            .iter()
            .position(|n| *n == name)
            .map(|bit| SandboxLayers(1 << bit))
    }
}

impl std::ops::BitOr for SandboxLayers {
    type Output = Self;
    fn bitor(self, rhs: Self) -> Self {
        SandboxLayers(self.0 | rhs.0)
    }
}

impl std::ops::BitOrAssign for SandboxLayers {
    fn bitor_assign(&mut self, rhs: Self) {
        self.0 |= rhs.0;
    }
}

impl fmt::Debug for SandboxLayers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.names()).finish()
    }
}

impl fmt::Display for SandboxLayers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.names().collect();
        f.write_str(&names.join(", "))
    }
}

impl Serialize for SandboxLayers {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.names())
    }
}

impl<'de> Deserialize<'de> for SandboxLayers {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let names = Vec::<String>::deserialize(d)?;
        let mut layers = SandboxLayers::NONE;
        for name in names {
            layers |= SandboxLayers::from_name(&name)
                .ok_or_else(|| serde::de::Error::custom(format!("unknown layer `{name}`")))?;
        }
        Ok(layers)
    }
}
