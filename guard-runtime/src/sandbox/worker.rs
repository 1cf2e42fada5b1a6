//! The worker side: the agent's own binary, started again with
//! `GUARD_SANDBOX_WORKER` set. A constructor that runs before `main` takes
//! over such a process, so an application needs no code of its own for it:
//! the worker locks itself down (limits, Landlock, capabilities, seccomp),
//! says which layers hold, then runs the calls it is sent, one JSON line
//! each, with the tools of the same link-time registry.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::AsFd;
use std::panic::{AssertUnwindSafe, catch_unwind};

use super::layers::SandboxLayers;
use super::profile::SandboxProfile;
use super::wire::{Ready, Reply, Request, Setup, artifacts_from_wire};
use super::{fs, seccomp};
use crate::exec::ToolFailure;
use crate::registry::{Invocation, ToolRegistration};

/// Set (to `1`) in a worker's environment, and only there.
pub(crate) const WORKER_ENV: &str = "GUARD_SANDBOX_WORKER";

// Runs before `main` (and before a test harness starts its threads), so the
// worker is single-threaded while it locks itself down.
// Unsafe code exception 1 of 2: a constructor has no safe spelling.
#[allow(unsafe_code)]
#[used]
#[unsafe(link_section = ".init_array")]
static ENTER_WORKER: extern "C" fn() = enter_if_worker;

#[allow(unsafe_code)] // `remove_var` before any other thread exists
extern "C" fn enter_if_worker() {
    if std::env::var_os(WORKER_ENV).is_none() {
        return;
    }
    // SAFETY: constructors run before `main`, on the only thread there is.
    unsafe { std::env::remove_var(WORKER_ENV) };
    // A panic must not unwind out of a constructor.
    let code = match catch_unwind(serve) {
        Ok(Ok(())) => 0,
        Ok(Err(message)) => {
            let _ = writeln!(std::io::stderr(), "guard sandbox worker: {message}");
            70
        }
        Err(_) => 70,
    };
    std::process::exit(code);
}

fn serve() -> Result<(), String> {
    // The protocol gets private copies of stdin and stdout; the tool's own
    // stdin is empty and its stdout goes to stderr, so a `println!` in a
    // tool cannot forge a reply.
    let input = rustix::io::fcntl_dupfd_cloexec(std::io::stdin().as_fd(), 3)
        .map_err(|e| format!("dup stdin: {e}"))?;
    let output = rustix::io::fcntl_dupfd_cloexec(std::io::stdout().as_fd(), 3)
        .map_err(|e| format!("dup stdout: {e}"))?;
    let null = File::open("/dev/null").map_err(|e| format!("/dev/null: {e}"))?;
    rustix::stdio::dup2_stdin(&null).map_err(|e| format!("stdin: {e}"))?;
    rustix::stdio::dup2_stdout(std::io::stderr().as_fd()).map_err(|e| format!("stdout: {e}"))?;
    drop(null);

    let mut input = BufReader::new(File::from(input));
    let mut output = File::from(output);
    let mut line = String::new();
    input
        .read_line(&mut line)
        .map_err(|e| format!("setup: {e}"))?;
    let setup: Setup = serde_json::from_str(&line).map_err(|e| format!("setup: {e}"))?;
    let profile = setup.profile;

    let (enforced, missing) = lock_down(&profile);
    let refuse = !missing.is_empty() && !profile.best_effort;
    send(&mut output, &Ready { enforced, missing })?;
    if refuse {
        return Ok(());
    }

    let mut runtime = None;
    for _ in 0..profile.max_calls {
        line.clear();
        match input.read_line(&mut line) {
            Ok(0) => return Ok(()),
            Ok(_) => {}
            Err(e) => return Err(format!("request: {e}")),
        }
        let reply = match serde_json::from_str::<Request>(&line) {
            Ok(request) => run(request, &mut runtime),
            Err(e) => Reply::Invalid(e.to_string()),
        };
        send(&mut output, &reply)?;
    }
    Ok(())
}

fn send<T: serde::Serialize>(output: &mut File, message: &T) -> Result<(), String> {
    let mut text = serde_json::to_vec(message).map_err(|e| e.to_string())?;
    text.push(b'\n');
    output.write_all(&text).map_err(|e| format!("reply: {e}"))
}

/// Applies every layer the kernel has; returns what holds and what the
/// profile asked for but could not get.
fn lock_down(profile: &SandboxProfile) -> (SandboxLayers, SandboxLayers) {
    let mut enforced = SandboxLayers::ENVIRONMENT | SandboxLayers::KILL_GROUP;
    let mut missing = SandboxLayers::NONE;
    let mut layer = |layer: SandboxLayers, held: bool| {
        if held {
            enforced |= layer;
        } else {
            missing |= layer;
        }
    };

    use rustix::process::{Resource, Rlimit, setrlimit};
    let mib = |n: u64| n.saturating_mul(1024 * 1024);
    let limit = |resource, soft: u64, hard: u64| {
        setrlimit(
            resource,
            Rlimit {
                current: Some(soft),
                maximum: Some(hard),
            },
        )
        .is_ok()
    };
    layer(
        SandboxLayers::MEMORY,
        limit(Resource::As, mib(profile.memory_mb), mib(profile.memory_mb)),
    );
    // The soft limit sends SIGXCPU; the hard one, a second later, SIGKILL.
    layer(
        SandboxLayers::CPU,
        limit(
            Resource::Cpu,
            profile.cpu_seconds,
            profile.cpu_seconds.saturating_add(1),
        ),
    );
    layer(
        SandboxLayers::OPEN_FILES,
        limit(Resource::Nofile, profile.open_files, profile.open_files),
    );
    layer(
        SandboxLayers::FILE_SIZE,
        limit(
            Resource::Fsize,
            mib(profile.file_size_mb),
            mib(profile.file_size_mb),
        ),
    );
    let _ = limit(Resource::Core, 0, 0);

    let landlock = fs::restrict(profile);
    layer(SandboxLayers::FILESYSTEM, landlock.filesystem);
    layer(SandboxLayers::IPC_SCOPE, landlock.scopes);

    layer(SandboxLayers::CAPABILITIES, drop_capabilities());

    let network = !profile.connect.is_empty();
    let filters = seccomp::filters(network, profile.processes > 0);
    let installed = filters.as_ref().is_ok_and(|f| seccomp::install(f).is_ok());
    layer(SandboxLayers::SECCOMP, installed);
    layer(
        SandboxLayers::NO_NEW_PRIVS,
        installed || landlock.no_new_privs,
    );
    // With processes allowed, the agent's pids cgroup bounds them and the
    // agent reports that layer.
    if profile.processes == 0 {
        layer(SandboxLayers::PROCESSES, installed);
    }
    // No ports: seccomp refuses every socket (Landlock refuses TCP too).
    // Ports: sockets are allowed and Landlock narrows TCP to the ports.
    let network_held = if network {
        installed && landlock.tcp
    } else {
        installed
    };
    layer(SandboxLayers::NETWORK, network_held);
    (enforced, missing)
}

fn drop_capabilities() -> bool {
    use rustix::thread::{CapabilitySet, CapabilitySets, set_capabilities};
    let none = CapabilitySet::empty();
    set_capabilities(
        None,
        CapabilitySets {
            effective: none,
            permitted: none,
            inheritable: none,
        },
    )
    .is_ok()
}

fn run(request: Request, runtime: &mut Option<tokio::runtime::Runtime>) -> Reply {
    let Some(tool) = inventory::iter::<ToolRegistration>().find(|tool| tool.name == request.tool)
    else {
        return Reply::UnknownTool;
    };
    let names: Vec<&'static str> = tool.args.iter().map(|arg| arg.name).collect();
    let mut checked = match artifacts_from_wire(request.artifacts, &names) {
        Ok(checked) => checked,
        Err(message) => return Reply::Invalid(message),
    };
    let ctx = request.context.into_context();
    let prepare = tool.prepare;
    let invocation = match catch_unwind(AssertUnwindSafe(|| {
        prepare(&request.arguments, ctx, &mut checked)
    })) {
        Ok(Ok(invocation)) => invocation,
        Ok(Err(e)) => return Reply::Invalid(e.to_string()),
        Err(_) => return Reply::Panicked,
    };
    let result = match invocation {
        Invocation::Blocking(body) => catch_unwind(AssertUnwindSafe(body)),
        Invocation::Async(body) => {
            let runtime = match runtime {
                Some(runtime) => runtime,
                None => match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(built) => runtime.insert(built),
                    Err(e) => return Reply::Error(format!("no runtime: {e}")),
                },
            };
            runtime.block_on(async {
                futures_util::FutureExt::catch_unwind(AssertUnwindSafe(body)).await
            })
        }
    };
    match result {
        Ok(Ok(content)) => Reply::Ok(content),
        Ok(Err(ToolFailure::Error(message))) => Reply::Error(message),
        Ok(Err(ToolFailure::Unserializable)) => Reply::Unserializable,
        Ok(Err(_)) => Reply::Error("the tool failed".into()),
        Err(_) => Reply::Panicked,
    }
}
