//! The guard: a configured set of tools and the checks around them.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::limits::ConcurrencyLimits;

use serde_json::Value;

use crate::audit::{AuditSink, TracingSink};
use crate::confirm::{Confirmer, PendingStore};
use crate::context::CallContext;
use crate::error::BuildError;
use crate::limits::{Clock, RateScope};
use crate::outbound::OutboundPolicy;
use crate::output::OutputPolicy;
use crate::policy::{Policy, PolicyError, PolicyPlan};
use crate::registry::{self, Registry, ToolInfo, ToolRegistration};
use crate::state::{MemoryBackend, StateBackend};
use crate::validate::ValidatorConfig;

/// Default time a tool may run.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Default time a confirmer has to answer before the call is denied.
pub const DEFAULT_CONFIRM_TIMEOUT: Duration = Duration::from_secs(300);

/// Default cap on the size of one call's arguments text.
pub const DEFAULT_MAX_ARGUMENT_BYTES: usize = 64 * 1024;

/// Default cap on the calls of one batch.
pub const DEFAULT_MAX_CALLS_PER_BATCH: usize = 128;

/// The security layer between a model's tool calls and the tools.
///
/// Cheap to clone (one reference count) and `Send + Sync`: build it once and
/// share it across tasks.
///
/// ```standalone_crate
/// use guard_runtime::{CallContext, Guard, MemorySink, ToolCall, ToolError, secure_tool};
///
/// /// Add two numbers.
/// #[secure_tool(risk = "low")]
/// fn add(a: i64, b: i64) -> Result<i64, ToolError> {
///     a.checked_add(b).ok_or_else(|| ToolError::new("overflow"))
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let audit = MemorySink::new();
/// let guard = Guard::builder().only(["add"]).audit(audit.clone()).build().unwrap();
/// assert_eq!(guard.openai_tools()[0]["function"]["name"], "add");
///
/// let ctx = CallContext::new("agent-1");
/// let replies = guard.dispatch(&ctx, &[ToolCall::new("c1", "add", r#"{"a":2,"b":3}"#)]).await;
/// assert_eq!(replies[0].content, "5");
/// assert_eq!(audit.events().len(), 1);
/// # }
/// ```
#[derive(Clone)]
pub struct Guard {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) registry: Registry,
    pub(crate) confirmer: Option<Arc<dyn Confirmer>>,
    pub(crate) sinks: Vec<Arc<dyn AuditSink>>,
    pub(crate) max_argument_bytes: usize,
    pub(crate) max_calls_per_batch: usize,
    pub(crate) output: OutputPolicy,
    pub(crate) default_timeout: Duration,
    pub(crate) audit_content: bool,
    pub(crate) concurrency: ConcurrencyLimits,
    /// Blocking tools abandoned at their timeout, still running on the pool.
    pub(crate) detached: AtomicU64,
    /// The compiled policy; swapped whole by `set_policy`.
    pub(crate) policy: arc_swap::ArcSwap<PolicyPlan>,
    pub(crate) state: Arc<dyn StateBackend>,
    /// What calls to sink tools may carry out, unless the policy file says.
    pub(crate) outbound: OutboundPolicy,
    pub(crate) confirm_timeout: Duration,
    /// Parked calls awaiting `resume`: every confirmation when approvals
    /// are deferred, else only those of deferring integrations (MCP elicitation).
    pub(crate) pending: PendingStore,
    /// Whether every confirmation is deferred (`deferred_approvals`).
    pub(crate) deferred: bool,
    rate_scope: RateScope,
    pub(crate) clock: Clock,
    /// Supplies the entity data Cedar policies read.
    #[cfg_attr(not(feature = "cedar"), allow(dead_code))]
    pub(crate) entity_loader: Option<Arc<dyn crate::policy::EntityLoader>>,
    /// Worker pools of sandboxed tools.
    #[cfg_attr(not(all(feature = "sandbox", target_os = "linux")), allow(dead_code))]
    pub(crate) sandboxes: crate::sandbox::Sandboxes,
    /// Profiles defined in code; a policy's own of the same name wins.
    sandbox_profiles: std::collections::BTreeMap<String, crate::sandbox::SandboxProfile>,
}

impl Guard {
    /// Starts configuring a guard over every registered tool.
    pub fn builder() -> GuardBuilder {
        GuardBuilder::default()
    }

    /// The tools of this guard, sorted by name.
    pub fn tools(&self) -> impl ExactSizeIterator<Item = ToolInfo<'_>> {
        self.inner.registry.iter().map(|entry| ToolInfo { entry })
    }

    /// One tool by name.
    pub fn tool(&self, name: &str) -> Option<ToolInfo<'_>> {
        self.inner
            .registry
            .get(name)
            .map(|entry| ToolInfo { entry })
    }

    /// How many blocking tools were abandoned at their timeout (they run on
    /// until they return; a growing number means tools that ignore time).
    pub fn detached_tasks(&self) -> u64 {
        self.inner.detached.load(Ordering::Relaxed)
    }

    /// Starts the worker pools of every sandboxed tool and waits until they
    /// are ready, so the first calls pay no process start. Pools also fill
    /// on their own from the first call on.
    ///
    /// # Errors
    /// The reason a worker could not start.
    #[cfg(all(feature = "sandbox", target_os = "linux"))]
    pub async fn prestart_sandboxes(&self) -> Result<(), crate::FailReason> {
        let plan = self.inner.policy.load_full();
        let profiles = std::iter::once(&plan.default)
            .chain(plan.agents.values())
            .flat_map(|agent| agent.tools.iter())
            .filter_map(|tool| tool.sandbox.as_ref().map(|s| &s.profile));
        self.inner.sandboxes.warm(profiles).await
    }

    /// Scans an inbound user message (or history) for prompt injection,
    /// with the guard's output policy's scanner and threshold.
    pub fn scan_user_message(&self, text: &str) -> crate::scan::InjectionReport {
        self.inner.output.scan_inbound(text)
    }

    /// Scans a model's reply for leaked secrets and personal data, applying
    /// the guard's output policy (by default: secrets redacted).
    pub fn scan_model_reply(&self, text: &str) -> crate::output::ReplyScan {
        self.inner.output.scan_reply(text)
    }

    /// The Chat Completions `tools` array.
    pub fn openai_tools(&self) -> Value {
        self.tools().map(registry::chat_tool).collect()
    }

    /// The Chat Completions `tools` array with only the tools the policy
    /// lets this caller's agent use (and whose roles the caller has).
    ///
    /// ```standalone_crate
    /// use guard_runtime::policy::{Format, Policy};
    /// use guard_runtime::{CallContext, Guard, secure_tool};
    ///
    /// /// Search the catalogue.
    /// #[secure_tool(risk = "low")]
    /// fn search(query: String) -> String { query }
    ///
    /// /// Refund an order.
    /// #[secure_tool(risk = "high")]
    /// fn refund(order: u64) -> String { order.to_string() }
    ///
    /// let policy = Policy::from_str("[agents.support]\nallow = [\"search\"]\n", Format::Toml).unwrap();
    /// let guard = Guard::builder().policy(policy).build().unwrap();
    /// let names = |ctx: &CallContext| -> Vec<String> {
    ///     guard.openai_tools_for(ctx).as_array().unwrap().iter()
    ///         .map(|t| t["function"]["name"].as_str().unwrap().to_owned()).collect()
    /// };
    /// assert_eq!(names(&CallContext::new("support")), ["search"]);
    /// assert_eq!(names(&CallContext::new("ops")), ["refund", "search"]);
    /// ```
    pub fn openai_tools_for(&self, ctx: &CallContext) -> Value {
        self.tools_for(ctx).map(registry::chat_tool).collect()
    }

    /// The Responses API `tools` array, filtered like [`Guard::openai_tools_for`].
    pub fn responses_tools_for(&self, ctx: &CallContext) -> Value {
        self.tools_for(ctx).map(registry::responses_tool).collect()
    }

    pub(crate) fn tools_for<'g>(&'g self, ctx: &CallContext) -> impl Iterator<Item = ToolInfo<'g>> {
        let plan = self.inner.policy.load_full();
        let visible: Vec<bool> = plan
            .agent(ctx)
            .tools
            .iter()
            .map(|tool| tool.refused_by.is_none() && tool.missing_role(ctx).is_none())
            .collect();
        self.tools()
            .zip(visible)
            .filter_map(|(tool, visible)| visible.then_some(tool))
    }

    /// Replaces the policy. Calls already being checked or running keep the
    /// policy they started with; the next `dispatch` uses the new one.
    /// Session counts and flow history carry over; policy rate limits start
    /// afresh.
    ///
    /// # Errors
    /// A [`PolicyError`] when a tool section names a tool this guard does
    /// not have; the current policy then stays in force.
    pub fn set_policy(&self, mut policy: Policy) -> Result<(), PolicyError> {
        with_profiles(&mut policy, &self.inner.sandbox_profiles);
        let plan = PolicyPlan::compile(
            policy,
            &self.inner.registry,
            self.inner.rate_scope,
            &self.inner.clock,
        )?;
        self.inner.policy.store(Arc::new(plan));
        Ok(())
    }

    /// The Cedar schema generated from this guard's tools (Cedar schema
    /// syntax), when the policy has Cedar policies: what `guard policy
    /// schema` prints.
    #[cfg(feature = "cedar")]
    pub fn cedar_schema(&self) -> Option<String> {
        let plan = self.inner.policy.load();
        plan.cedar.as_ref().map(|c| c.schema_text().to_owned())
    }

    /// The policy in force.
    pub fn policy(&self) -> Arc<Policy> {
        self.inner.policy.load().source.clone()
    }

    /// The Responses API `tools` array (flat function tools).
    pub fn responses_tools(&self) -> Value {
        self.tools().map(registry::responses_tool).collect()
    }

    /// The legacy Chat Completions `functions` array.
    pub fn functions(&self) -> Value {
        self.tools().map(registry::legacy_function).collect()
    }
}

impl fmt::Debug for Guard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Guard")
            .field("tools", &self.tools().map(|t| t.name()).collect::<Vec<_>>())
            .field("confirmer", &self.inner.confirmer.is_some())
            .field("audit_sinks", &self.inner.sinks.len())
            .field("max_argument_bytes", &self.inner.max_argument_bytes)
            .field("max_calls_per_batch", &self.inner.max_calls_per_batch)
            .finish()
    }
}

/// Configures a [`Guard`].
#[derive(Default)]
#[must_use]
pub struct GuardBuilder {
    only: Option<Vec<String>>,
    confirmer: Option<Arc<dyn Confirmer>>,
    sinks: Vec<Arc<dyn AuditSink>>,
    max_argument_bytes: Option<usize>,
    max_calls_per_batch: Option<usize>,
    rate_scope: RateScope,
    clock: Clock,
    eager_schemas: bool,
    registrations: Option<Vec<&'static ToolRegistration>>,
    validators: ValidatorConfig,
    validators_for: HashMap<String, Arc<ValidatorConfig>>,
    output: OutputPolicy,
    default_timeout: Option<Duration>,
    audit_content: bool,
    max_concurrent: Option<usize>,
    tool_concurrency: HashMap<String, usize>,
    policy: Policy,
    confirm_timeout: Option<Duration>,
    deferred: Option<Duration>,
    state: Option<Arc<dyn StateBackend>>,
    outbound: OutboundPolicy,
    sandbox_profiles: std::collections::BTreeMap<String, crate::sandbox::SandboxProfile>,
    entity_loader: Option<Arc<dyn crate::policy::EntityLoader>>,
}

/// Adds the profiles defined in code to a policy's own.
fn with_profiles(
    policy: &mut Policy,
    profiles: &std::collections::BTreeMap<String, crate::sandbox::SandboxProfile>,
) {
    for (name, profile) in profiles {
        policy
            .sandboxes
            .entry(name.clone())
            .or_insert_with(|| profile.clone());
    }
}

impl GuardBuilder {
    /// Restricts the guard to the named tools. Building fails if one is not registered.
    pub fn only<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.only = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// Sets who approves calls to `confirm` tools. Without one they are denied.
    pub fn confirmer(mut self, confirmer: impl Confirmer) -> Self {
        self.confirmer = Some(Arc::new(confirmer));
        self
    }

    /// At most this many tool bodies run at once across the guard; further
    /// calls wait (their timeout runs while they wait).
    pub fn max_concurrent_calls(mut self, limit: usize) -> Self {
        self.max_concurrent = Some(limit);
        self
    }

    /// At most this many calls of one tool run at once. Building fails if no
    /// tool has that name.
    pub fn tool_concurrency(mut self, tool: impl Into<String>, limit: usize) -> Self {
        self.tool_concurrency.insert(tool.into(), limit);
        self
    }

    /// Whether audit events carry the arguments and the output, redacted
    /// (credentials replaced, `#[arg(secret)]` values as digests). Off by
    /// default: events then hold the arguments' digest only, which keeps
    /// personal data out of logs and costs nothing per call.
    pub fn audit_content(mut self, include: bool) -> Self {
        self.audit_content = include;
        self
    }

    /// Adds an audit sink. Without any, events go to [`TracingSink`].
    pub fn audit(mut self, sink: impl AuditSink) -> Self {
        self.sinks.push(Arc::new(sink));
        self
    }

    /// Caps the size of one call's arguments text (default 64 KiB).
    pub fn max_argument_bytes(mut self, bytes: usize) -> Self {
        self.max_argument_bytes = Some(bytes);
        self
    }

    /// Caps the calls of one batch (default 128; a policy's
    /// `max_calls_per_batch` overrides it). Calls past the cap are answered
    /// with `Denied { TooManyCalls }` without being read, so a batch of
    /// 100,000 calls costs little more than its replies. At least 1.
    pub fn max_calls_per_batch(mut self, calls: usize) -> Self {
        self.max_calls_per_batch = Some(calls.max(1));
        self
    }

    /// Whose calls share a rate-limit bucket (default: one bucket per tool).
    pub fn rate_scope(mut self, scope: RateScope) -> Self {
        self.rate_scope = scope;
        self
    }

    /// The clock rate limits run on; pass a [`FakeClock`](crate::FakeClock) in tests.
    pub fn clock(mut self, clock: impl Into<Clock>) -> Self {
        self.clock = clock.into();
        self
    }

    /// The run-time side of argument validation for every tool: path root,
    /// URL, SQL and command policies, string hygiene. See [`ValidatorConfig`].
    pub fn validators(mut self, config: ValidatorConfig) -> Self {
        self.validators = config;
        self
    }

    /// How long a tool may run when its attribute sets no `timeout`
    /// (default 30 s). A late async tool is cancelled; a late blocking tool
    /// is abandoned (it keeps its pool thread until it returns) and counted
    /// in [`Guard::detached_tasks`].
    pub fn default_timeout(mut self, timeout: Duration) -> Self {
        self.default_timeout = Some(timeout);
        self
    }

    /// How tool outputs are handled before the model sees them (default:
    /// secrets redacted, injection framed as untrusted data, 64 KiB cap).
    pub fn output_policy(mut self, policy: OutputPolicy) -> Self {
        self.output = policy;
        self
    }

    /// What calls to `sink` tools may carry out (default: credentials and
    /// content a `source` tool returned in the session are refused,
    /// personal data is logged); a policy file's `[outbound]` section
    /// replaces it. See [`outbound`](crate::outbound).
    pub fn outbound(mut self, policy: OutboundPolicy) -> Self {
        self.outbound = policy;
        self
    }

    /// Supplies the entity data the policy's Cedar policies read (who owns
    /// an order, a user's tenant); see [`EntityLoader`](crate::policy::EntityLoader).
    pub fn entity_loader(mut self, loader: impl crate::policy::EntityLoader) -> Self {
        self.entity_loader = Some(Arc::new(loader));
        self
    }

    /// Defines a sandbox profile that tools name with `sandbox = "NAME"`
    /// (`default` is what a bare `sandbox` uses). A policy file's
    /// `[sandboxes.NAME]` of the same name wins. See [`sandbox`](crate::sandbox).
    ///
    /// ```
    /// use guard_runtime::{Guard, sandbox::SandboxProfile};
    ///
    /// let guard = Guard::builder()
    ///     .sandbox_profile("default", SandboxProfile::default().memory_mb(128))
    ///     .build()
    ///     .unwrap();
    /// # drop(guard);
    /// ```
    pub fn sandbox_profile(
        mut self,
        name: impl Into<String>,
        profile: crate::sandbox::SandboxProfile,
    ) -> Self {
        self.sandbox_profiles.insert(name.into(), profile);
        self
    }

    /// Replaces the validator configuration for one tool. Building fails if
    /// no tool has that name.
    pub fn validators_for(mut self, tool: impl Into<String>, config: ValidatorConfig) -> Self {
        self.validators_for.insert(tool.into(), Arc::new(config));
        self
    }

    /// Where rate limits, session quotas, data-flow history and "always"
    /// decisions live: [`MemoryBackend`] (the default, on this builder's
    /// clock) or a shared one such as
    /// `RedisBackend` (feature `redis`), so
    /// every replica of a service enforces the same limits.
    pub fn state(mut self, backend: impl StateBackend + 'static) -> Self {
        self.state = Some(Arc::new(backend));
        self
    }

    /// How long a confirmer may take before the call is denied (default 5
    /// minutes); also how long a call waits for an MCP client's elicitation
    /// answer when approvals are not deferred.
    pub fn confirm_timeout(mut self, timeout: Duration) -> Self {
        self.confirm_timeout = Some(timeout);
        self
    }

    /// Defers approvals instead of asking a confirmer: a call that needs one
    /// is answered [`Outcome::PendingApproval`](crate::Outcome::PendingApproval)
    /// (the rest of its batch runs), and [`Guard::resume`] finishes it with
    /// a person's decision within `ttl`.
    pub fn deferred_approvals(mut self, ttl: Duration) -> Self {
        self.deferred = Some(ttl);
        self
    }

    /// Sets the policy (see [`Policy`]); without one every tool is open to
    /// every agent, with the tools' own limits.
    pub fn policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// Builds and compiles every schema and validator now instead of on
    /// first use, so one that does not compile fails the build rather than
    /// its calls.
    pub fn eager_schemas(mut self) -> Self {
        self.eager_schemas = true;
        self
    }

    /// Uses these registrations instead of the ones `#[secure_tool]` submitted
    /// at link time. For benchmarks and tests of the registry itself.
    #[doc(hidden)]
    pub fn __registrations(mut self, registrations: Vec<&'static ToolRegistration>) -> Self {
        self.registrations = Some(registrations);
        self
    }

    /// Builds the guard.
    ///
    /// # Errors
    /// [`BuildError::DuplicateTool`] if two tools share a name,
    /// [`BuildError::UnknownTool`] if `only` names a missing tool, and with
    /// [`BuildError::InvalidValidator`] for an SQL argument with no dialect
    /// named; with `eager_schemas`, [`BuildError::InvalidSchema`] and
    /// [`BuildError::InvalidValidator`]. `validators_for` naming a missing
    /// tool is [`BuildError::UnknownTool`].
    pub fn build(self) -> Result<Guard, BuildError> {
        let registrations = match self.registrations {
            Some(registrations) => registrations,
            None => inventory::iter::<ToolRegistration>.into_iter().collect(),
        };
        let registry = Registry::build(
            registrations,
            self.only.as_deref(),
            self.rate_scope,
            &self.clock,
            &Arc::new(self.validators),
            &self.validators_for,
        )?;
        // A query means what its database makes of it: an SQL argument
        // whose dialect nobody named fails the build, not its calls.
        for entry in registry.iter() {
            let name = entry.registration.name;
            let by_policy = self
                .policy
                .tools
                .get(name)
                .and_then(|rules| rules.sql.as_ref())
                .is_some_and(|sql| sql.dialect.is_some());
            if let Some(arg) = entry.config().sql_without_dialect(entry.registration.args)
                && !by_policy
            {
                return Err(BuildError::InvalidValidator {
                    tool: name.to_owned(),
                    message: crate::validate::no_dialect(arg),
                });
            }
        }
        if self.eager_schemas {
            for entry in registry.iter() {
                entry
                    .schema_validator()
                    .map_err(|message| BuildError::InvalidSchema {
                        tool: entry.registration.name.to_owned(),
                        message: message.to_owned(),
                    })?;
                entry
                    .argument_validators()
                    .map_err(|message| BuildError::InvalidValidator {
                        tool: entry.registration.name.to_owned(),
                        message: message.to_owned(),
                    })?;
            }
        }
        let mut tool_limits = HashMap::new();
        for (name, limit) in &self.tool_concurrency {
            let entry = registry
                .get(name)
                .ok_or_else(|| BuildError::UnknownTool { name: name.clone() })?;
            tool_limits.insert(entry.registration.name, *limit);
        }
        let sinks = if self.sinks.is_empty() {
            vec![Arc::new(TracingSink) as Arc<dyn AuditSink>]
        } else {
            self.sinks
        };
        crate::outbound::check_names(&self.outbound, &registry, &self.policy)
            .map_err(|message| crate::policy::PolicyError::new(Some("outbound".into()), message))?;
        let mut policy = self.policy;
        with_profiles(&mut policy, &self.sandbox_profiles);
        let plan = PolicyPlan::compile(policy, &registry, self.rate_scope, &self.clock)?;
        Ok(Guard {
            inner: Arc::new(Inner {
                policy: arc_swap::ArcSwap::from_pointee(plan),
                state: self
                    .state
                    .unwrap_or_else(|| Arc::new(MemoryBackend::new(self.clock.clone()))),
                confirm_timeout: self.confirm_timeout.unwrap_or(DEFAULT_CONFIRM_TIMEOUT),
                // Without deferred approvals, a parked call (MCP elicitation)
                // must be answered within the confirmation timeout.
                pending: PendingStore::new(
                    self.deferred
                        .or(self.confirm_timeout)
                        .unwrap_or(DEFAULT_CONFIRM_TIMEOUT),
                ),
                deferred: self.deferred.is_some(),
                outbound: self.outbound,
                rate_scope: self.rate_scope,
                clock: self.clock,
                registry,
                confirmer: self.confirmer,
                sinks,
                max_argument_bytes: self
                    .max_argument_bytes
                    .unwrap_or(DEFAULT_MAX_ARGUMENT_BYTES),
                max_calls_per_batch: self
                    .max_calls_per_batch
                    .unwrap_or(DEFAULT_MAX_CALLS_PER_BATCH),
                output: self.output,
                default_timeout: self.default_timeout.unwrap_or(DEFAULT_TIMEOUT),
                audit_content: self.audit_content,
                concurrency: ConcurrencyLimits::new(self.max_concurrent, tool_limits),
                detached: AtomicU64::new(0),
                sandboxes: Default::default(),
                sandbox_profiles: self.sandbox_profiles,
                entity_loader: self.entity_loader,
            }),
        })
    }
}

impl fmt::Debug for GuardBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GuardBuilder")
            .field("only", &self.only)
            .field("confirmer", &self.confirmer.is_some())
            .field("audit_sinks", &self.sinks.len())
            .field("max_argument_bytes", &self.max_argument_bytes)
            .field("max_calls_per_batch", &self.max_calls_per_batch)
            .field("rate_scope", &self.rate_scope)
            .field("clock", &self.clock)
            .field("state", &self.state)
            .field("validators", &self.validators)
            .field(
                "validators_for",
                &self.validators_for.keys().collect::<Vec<_>>(),
            )
            .finish()
    }
}
