//! Landlock: file-system access beneath the profile's roots only, TCP
//! connections to its ports only, and no signals or abstract Unix sockets
//! across the sandbox's edge.

use landlock::{
    ABI, Access, AccessFs, AccessNet, CompatLevel, Compatible, NetPort, PathBeneath, PathFd,
    Ruleset, RulesetAttr, RulesetCreatedAttr, RulesetStatus, Scope,
};

use super::profile::SandboxProfile;

/// The file-system rights of ABI 5 (ioctl on devices included); newer rights
/// are added by newer kernels, and an unknown one would fail old kernels.
const FS_ABI: ABI = ABI::V5;
/// TCP bind and connect.
const NET_ABI: ABI = ABI::V4;
/// Signal and abstract-socket scopes.
const SCOPE_ABI: ABI = ABI::V6;

/// What Landlock enforced.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Restricted {
    pub(crate) filesystem: bool,
    pub(crate) tcp: bool,
    pub(crate) scopes: bool,
    pub(crate) no_new_privs: bool,
}

/// What this kernel's Landlock supports, found by creating (not applying)
/// rulesets that require each part.
pub(crate) fn supported() -> Restricted {
    let hard = || Ruleset::default().set_compatibility(CompatLevel::HardRequirement);
    let filesystem = hard()
        .handle_access(AccessFs::from_all(FS_ABI))
        .and_then(|r| r.create())
        .is_ok();
    let tcp = hard()
        .handle_access(AccessNet::from_all(NET_ABI))
        .and_then(|r| r.create())
        .is_ok();
    let scopes = hard()
        .scope(Scope::from_all(SCOPE_ABI))
        .and_then(|r| r.create())
        .is_ok();
    Restricted {
        filesystem,
        tcp,
        scopes,
        no_new_privs: true,
    }
}

/// Restricts the calling thread (and what it starts later) to the profile.
/// Only the parts this kernel supports are asked for, so one missing part
/// does not cost the others; the caller reports what is missing.
pub(crate) fn restrict(profile: &SandboxProfile) -> Restricted {
    let can = supported();
    apply(profile, can).unwrap_or_default()
}

fn apply(profile: &SandboxProfile, can: Restricted) -> Result<Restricted, String> {
    let err = |e: &dyn std::fmt::Display| e.to_string();
    let mut ruleset = Ruleset::default().set_compatibility(CompatLevel::HardRequirement);
    if can.filesystem {
        ruleset = ruleset
            .handle_access(AccessFs::from_all(FS_ABI))
            .map_err(|e| err(&e))?;
    }
    if can.tcp {
        ruleset = ruleset
            .handle_access(AccessNet::from_all(NET_ABI))
            .map_err(|e| err(&e))?;
    }
    if can.scopes {
        ruleset = ruleset
            .scope(Scope::from_all(SCOPE_ABI))
            .map_err(|e| err(&e))?;
    }
    if !(can.filesystem || can.tcp || can.scopes) {
        return Ok(Restricted::default());
    }
    let mut created = ruleset.create().map_err(|e| err(&e))?;
    if can.filesystem {
        let read = AccessFs::from_read(FS_ABI);
        let exec = read | AccessFs::Execute;
        let write = AccessFs::from_all(FS_ABI);
        let roots = (profile.read.iter().map(|p| (p, read)))
            .chain(profile.exec.iter().map(|p| (p, exec)))
            .chain(profile.write.iter().map(|p| (p, write)));
        for (root, access) in roots {
            // A root that does not exist grants nothing (and is no error:
            // a tool's workspace may be created later by the agent).
            let Ok(fd) = PathFd::new(root) else { continue };
            created = created
                .add_rule(PathBeneath::new(fd, access))
                .map_err(|e| err(&e))?;
        }
    }
    if can.tcp {
        for &port in &profile.connect {
            created = created
                .add_rule(NetPort::new(port, AccessNet::ConnectTcp))
                .map_err(|e| err(&e))?;
        }
    }
    let status = created.restrict_self().map_err(|e| err(&e))?;
    let full = status.ruleset == RulesetStatus::FullyEnforced;
    Ok(Restricted {
        filesystem: full && can.filesystem,
        tcp: full && can.tcp,
        scopes: full && can.scopes,
        no_new_privs: status.no_new_privs,
    })
}
