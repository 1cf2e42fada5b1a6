//! Who is calling: the agent, the end user, their roles and the session.

use std::fmt;
use std::sync::Arc;

use serde::Serialize;

/// The caller of a batch of tool calls.
///
/// Cheap to clone (one reference count), `Send + Sync`, and handed to tools
/// that ask for it with a `#[context]` parameter.
///
/// ```
/// use guard_runtime::CallContext;
///
/// let ctx = CallContext::new("agent-1").user("u-7").roles(["analyst"]).session("s-1");
/// assert_eq!(ctx.agent_id(), "agent-1");
/// assert_eq!(ctx.user_id(), Some("u-7"));
/// assert!(ctx.has_role("analyst"));
/// assert_eq!(ctx.session_id(), Some("s-1"));
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct CallContext(Arc<Inner>);

#[derive(Clone, PartialEq, Eq, Hash, Serialize)]
struct Inner {
    agent: Arc<str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<Arc<str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    session: Option<Arc<str>>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    roles: Arc<[Arc<str>]>,
    /// The session quotas, history and decisions belong to: the session id,
    /// or `agent:ID` for an agent's calls without one (derived, so equality
    /// and hashing are unchanged).
    #[serde(skip)]
    state_session: Arc<str>,
}

impl CallContext {
    /// A context for the named agent, with no user, session or roles.
    pub fn new(agent: impl Into<String>) -> Self {
        let agent: Arc<str> = agent.into().into();
        CallContext(Arc::new(Inner {
            state_session: format!("agent:{agent}").into(),
            agent,
            user: None,
            session: None,
            roles: Arc::new([]),
        }))
    }

    /// Sets the end user on whose behalf the agent acts.
    #[must_use]
    pub fn user(mut self, user: impl Into<String>) -> Self {
        Arc::make_mut(&mut self.0).user = Some(user.into().into());
        self
    }

    /// Sets the conversation or session id.
    #[must_use]
    pub fn session(mut self, session: impl Into<String>) -> Self {
        let inner = Arc::make_mut(&mut self.0);
        let session: Arc<str> = session.into().into();
        inner.state_session = session.clone();
        inner.session = Some(session);
        self
    }

    /// Replaces the caller's roles.
    #[must_use]
    pub fn roles<I, S>(mut self, roles: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Arc::make_mut(&mut self.0).roles = roles.into_iter().map(|r| r.into().into()).collect();
        self
    }

    /// The agent id.
    pub fn agent_id(&self) -> &str {
        &self.0.agent
    }

    /// The end user's id, if set.
    pub fn user_id(&self) -> Option<&str> {
        self.0.user.as_deref()
    }

    /// The session id, if set.
    pub fn session_id(&self) -> Option<&str> {
        self.0.session.as_deref()
    }

    /// The caller's roles.
    pub fn role_names(&self) -> impl Iterator<Item = &str> {
        self.0.roles.iter().map(|r| &**r)
    }

    /// Whether the caller has the role.
    pub fn has_role(&self, role: &str) -> bool {
        self.0.roles.iter().any(|r| &**r == role)
    }

    pub(crate) fn agent_key(&self) -> &Arc<str> {
        &self.0.agent
    }

    pub(crate) fn user_key(&self) -> Option<&Arc<str>> {
        self.0.user.as_ref()
    }

    pub(crate) fn session_key(&self) -> Option<&Arc<str>> {
        self.0.session.as_ref()
    }

    /// The session a call's quotas, data-flow history and "always"
    /// decisions belong to; without a session id, an agent's calls share one.
    pub(crate) fn state_session(&self) -> &Arc<str> {
        &self.0.state_session
    }
}

impl fmt::Debug for CallContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallContext")
            .field("agent", &self.0.agent)
            .field("user", &self.0.user)
            .field("session", &self.0.session)
            .field("roles", &self.0.roles)
            .finish()
    }
}

impl Serialize for CallContext {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}
