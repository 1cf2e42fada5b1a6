//! The worker's system-call filter: what a tool body never needs is refused
//! with `EPERM`, sockets other than the allowed families are refused, and
//! new processes are refused when the profile allows none.

use std::collections::BTreeMap;

use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
    SeccompRule, TargetArch,
};

/// Calls that only debuggers, container runtimes, kernel loaders and
/// privilege juggling need: refused in every profile.
const NEVER: &[libc::c_long] = &[
    libc::SYS_ptrace,
    libc::SYS_process_vm_readv,
    libc::SYS_process_vm_writev,
    libc::SYS_pidfd_getfd,
    libc::SYS_bpf,
    libc::SYS_perf_event_open,
    libc::SYS_userfaultfd,
    libc::SYS_mount,
    libc::SYS_umount2,
    libc::SYS_pivot_root,
    libc::SYS_chroot,
    libc::SYS_move_mount,
    libc::SYS_open_tree,
    libc::SYS_fsopen,
    libc::SYS_fsmount,
    libc::SYS_fsconfig,
    libc::SYS_fspick,
    libc::SYS_mount_setattr,
    libc::SYS_unshare,
    libc::SYS_setns,
    libc::SYS_keyctl,
    libc::SYS_add_key,
    libc::SYS_request_key,
    libc::SYS_io_uring_setup,
    libc::SYS_io_uring_enter,
    libc::SYS_io_uring_register,
    libc::SYS_kexec_load,
    libc::SYS_kexec_file_load,
    libc::SYS_init_module,
    libc::SYS_finit_module,
    libc::SYS_delete_module,
    libc::SYS_reboot,
    libc::SYS_swapon,
    libc::SYS_swapoff,
    libc::SYS_acct,
    libc::SYS_settimeofday,
    libc::SYS_clock_settime,
    libc::SYS_clock_adjtime,
    libc::SYS_adjtimex,
    libc::SYS_syslog,
    libc::SYS_quotactl,
    libc::SYS_open_by_handle_at,
    libc::SYS_name_to_handle_at,
    libc::SYS_iopl,
    libc::SYS_ioperm,
    libc::SYS_fanotify_init,
    libc::SYS_personality,
    libc::SYS_sethostname,
    libc::SYS_setdomainname,
    libc::SYS_vhangup,
    libc::SYS_lookup_dcookie,
    // Leaving the process group would escape the kill on timeout.
    libc::SYS_setsid,
    libc::SYS_setpgid,
    // Raising a limit back up (a query, with no new limit, stays allowed).
    libc::SYS_setrlimit,
];

/// Namespace flags: a tool never creates namespaces.
const NAMESPACE_FLAGS: &[u64] = &[
    libc::CLONE_NEWNS as u64,
    libc::CLONE_NEWUSER as u64,
    libc::CLONE_NEWPID as u64,
    libc::CLONE_NEWNET as u64,
    libc::CLONE_NEWUTS as u64,
    libc::CLONE_NEWIPC as u64,
    libc::CLONE_NEWCGROUP as u64,
];

/// The filters to install, most specific last.
pub(crate) struct Filters {
    pub(crate) deny: BpfProgram,
    /// `clone3` answers `ENOSYS` (its flags sit in memory a filter cannot
    /// read), so the C library falls back to `clone`, which the filter reads.
    pub(crate) no_clone3: BpfProgram,
}

/// Builds the filters for a profile: `network` allows IPv4/IPv6 sockets
/// (Landlock then narrows the ports), `processes` allows process `clone`.
pub(crate) fn filters(network: bool, processes: bool) -> Result<Filters, String> {
    let arch = TargetArch::try_from(std::env::consts::ARCH).map_err(|e| e.to_string())?;
    let mut rules: BTreeMap<i64, Vec<SeccompRule>> = BTreeMap::new();
    for &call in NEVER {
        rules.insert(call, Vec::new());
    }
    // prlimit64(pid, resource, new, old): refused when `new` is set.
    rules.insert(
        libc::SYS_prlimit64,
        vec![rule(vec![cond(2, SeccompCmpOp::Ne, 0)?])?],
    );

    let mut clone_rules = Vec::new();
    for &flag in NAMESPACE_FLAGS {
        clone_rules.push(rule(vec![cond(0, SeccompCmpOp::MaskedEq(flag), flag)?])?);
    }
    if !processes {
        let thread = libc::CLONE_THREAD as u64;
        clone_rules.push(rule(vec![cond(0, SeccompCmpOp::MaskedEq(thread), 0)?])?);
        rules.insert(libc::SYS_fork, Vec::new());
        rules.insert(libc::SYS_vfork, Vec::new());
    }
    rules.insert(libc::SYS_clone, clone_rules);

    let socket = if network {
        // Anything but IPv4 and IPv6 (Unix sockets reach local daemons).
        vec![rule(vec![
            int_cond(0, SeccompCmpOp::Ne, libc::AF_INET as u64)?,
            int_cond(0, SeccompCmpOp::Ne, libc::AF_INET6 as u64)?,
        ])?]
    } else {
        Vec::new()
    };
    // `socketpair` stays allowed: a connected pair reaches nobody else
    // (Tokio's signal driver makes one).
    rules.insert(libc::SYS_socket, socket);

    let deny = program(rules, libc::EPERM, arch)?;
    let mut clone3 = BTreeMap::new();
    clone3.insert(libc::SYS_clone3, Vec::new());
    let no_clone3 = program(clone3, libc::ENOSYS, arch)?;
    Ok(Filters { deny, no_clone3 })
}

fn program(
    rules: BTreeMap<i64, Vec<SeccompRule>>,
    errno: i32,
    arch: TargetArch,
) -> Result<BpfProgram, String> {
    let filter = SeccompFilter::new(
        rules,
        SeccompAction::Allow,
        SeccompAction::Errno(errno as u32),
        arch,
    )
    .map_err(|e| e.to_string())?;
    filter
        .try_into()
        .map_err(|e: seccompiler::BackendError| e.to_string())
}

fn rule(conditions: Vec<SeccompCondition>) -> Result<SeccompRule, String> {
    SeccompRule::new(conditions).map_err(|e| e.to_string())
}

/// A condition on a 64-bit argument (flags, pointers).
fn cond(arg: u8, op: SeccompCmpOp, value: u64) -> Result<SeccompCondition, String> {
    SeccompCondition::new(arg, SeccompCmpArgLen::Qword, op, value).map_err(|e| e.to_string())
}

/// A condition on an `int` argument: only its low 32 bits are defined.
fn int_cond(arg: u8, op: SeccompCmpOp, value: u64) -> Result<SeccompCondition, String> {
    SeccompCondition::new(arg, SeccompCmpArgLen::Dword, op, value).map_err(|e| e.to_string())
}

/// Installs the filters on the calling thread and every thread it starts
/// later (this also sets `PR_SET_NO_NEW_PRIVS`).
pub(crate) fn install(filters: &Filters) -> Result<(), String> {
    seccompiler::apply_filter(&filters.no_clone3).map_err(|e| e.to_string())?;
    seccompiler::apply_filter(&filters.deny).map_err(|e| e.to_string())
}
