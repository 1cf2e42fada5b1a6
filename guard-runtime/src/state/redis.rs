//! The Redis backend: every replica of a service shares one set of limits,
//! and quotas, data-flow history and "always" decisions survive restarts.
//! Each batch is one `EVALSHA` of an atomic Lua script (GCRA rate limits,
//! quota counters, history and decisions read together); keys are
//! namespaced and expire.

use std::fmt;
use std::time::Duration;

use ::redis::aio::{ConnectionManager, ConnectionManagerConfig};
use ::redis::{Client, Script, Value};

use super::{
    Admission, Admitted, BackendError, CallVerdict, Settlement, Standing, StateBackend, StateFuture,
};
use crate::limits::RateLimit;

const DEFAULT_TIMEOUT: Duration = Duration::from_millis(50);
const DEFAULT_SESSION_TTL: Duration = Duration::from_secs(6 * 3600);
const DEFAULT_PREFIX: &str = "guard";

/// Limits and session state in Redis, shared by every guard that points at
/// the same server and prefix.
///
/// Rate limits are GCRA buckets (one key each, expiring once full again);
/// a session is one hash (call counts, data-flow sources, "always"
/// decisions) expiring after `session_ttl` without writes. Every operation
/// has a timeout (50 ms by default); a timeout or any other error is a
/// [`BackendError`], which the dispatcher turns into a refusal unless the
/// policy says `on_backend_error = "allow"`. The connection is re-made in
/// the background after Redis comes back.
///
/// ```no_run
/// use std::time::Duration;
/// use guard_runtime::{Guard, state::RedisBackend};
///
/// # #[tokio::main] async fn main() {
/// let redis = RedisBackend::builder("redis://127.0.0.1:6379/")
///     .prefix("shop-agent")
///     .timeout(Duration::from_millis(50))
///     .build()
///     .unwrap();
/// let guard = Guard::builder().state(redis).build().unwrap();
/// # drop(guard); }
/// ```
#[derive(Clone)]
pub struct RedisBackend {
    connection: ConnectionManager,
    admit: Script,
    settle: Script,
    prefix: String,
    timeout: Duration,
    session_ttl_ms: u64,
    url: String,
}

/// Configures a [`RedisBackend`].
#[derive(Debug, Clone)]
pub struct RedisBackendBuilder {
    url: String,
    prefix: String,
    timeout: Duration,
    session_ttl: Duration,
}

impl RedisBackend {
    /// Starts configuring a backend for the server at `url`
    /// (`redis://[:password@]host:port/[db]`).
    pub fn builder(url: impl Into<String>) -> RedisBackendBuilder {
        RedisBackendBuilder {
            url: url.into(),
            prefix: DEFAULT_PREFIX.to_owned(),
            timeout: DEFAULT_TIMEOUT,
            session_ttl: DEFAULT_SESSION_TTL,
        }
    }

    fn session_key(&self, session: &str) -> String {
        format!("{}:session:{session}", self.prefix)
    }

    /// The session's content fingerprints: a sorted set scored by when
    /// each was added, so the oldest can be trimmed.
    fn content_key(&self, session: &str) -> String {
        format!("{}:content:{session}", self.prefix)
    }

    /// The bucket's key; the id's length keeps ids and buckets apart
    /// whatever characters they hold.
    fn rate_key(&self, rate: &RateLimit, bucket: Option<&str>) -> String {
        let id = rate.id();
        match bucket {
            Some(bucket) => format!("{}:rate:{}:{id}:{bucket}", self.prefix, id.len()),
            None => format!("{}:rate:{}:{id}", self.prefix, id.len()),
        }
    }

    /// Runs one operation under the timeout.
    async fn timed<T>(
        &self,
        op: impl Future<Output = ::redis::RedisResult<T>>,
    ) -> Result<T, BackendError> {
        // Tokio's timer wheel: a futures-timer Delay costs a helper-thread wakeup.
        match tokio::time::timeout(self.timeout, op).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(err)) => Err(BackendError::new(format!("redis: {}", err.category()))),
            Err(_) => Err(BackendError::new(format!(
                "redis: no answer within {} ms",
                self.timeout.as_millis()
            ))),
        }
    }

    async fn admit_in_redis(&self, a: &Admission<'_>) -> Result<Admitted, BackendError> {
        let mut invocation = self.admit.prepare_invoke();
        invocation
            .key(self.session_key(a.session))
            .arg(self.session_ttl_ms)
            .arg(a.session_calls.map_or(0, |n| n.get()))
            .arg(a.session_calls_per_tool.map_or(0, |n| n.get()))
            .arg(a.calls.len());
        for call in a.calls {
            invocation
                .arg(call.tool)
                .arg(u8::from(call.counts))
                .arg(call.rates().len());
            for rate in call.rates() {
                let per_minute = u64::from(rate.per_minute().get());
                invocation
                    .key(self.rate_key(rate, rate.bucket(a.context)))
                    .arg(60_000_000 / per_minute)
                    .arg(per_minute);
            }
        }
        invocation.arg(a.sources.len());
        for label in &a.sources {
            invocation.arg(*label);
        }
        invocation.arg(a.standing.len());
        for tool in &a.standing {
            invocation.arg(*tool);
        }
        let mut connection = self.connection.clone();
        let reply: Vec<Value> = self.timed(invocation.invoke_async(&mut connection)).await?;
        parse_admitted(a, &reply).ok_or_else(|| BackendError::new("redis: unexpected reply"))
    }

    async fn settle_in_redis(&self, s: &Settlement<'_>) -> Result<(), BackendError> {
        let mut invocation = self.settle.prepare_invoke();
        invocation
            .key(self.session_key(s.session))
            .arg(self.session_ttl_ms)
            .arg(s.release.len());
        for tool in &s.release {
            invocation.arg(*tool);
        }
        for label in &s.touch {
            invocation.arg(*label);
        }
        let mut connection = self.connection.clone();
        let _: i64 = self.timed(invocation.invoke_async(&mut connection)).await?;
        Ok(())
    }

    async fn remember_in_redis(
        &self,
        session: &str,
        tool: &str,
        standing: &Standing,
    ) -> Result<(), BackendError> {
        let value = match standing {
            Standing::Approve => "approve".to_owned(),
            Standing::Deny { message: None } => "deny".to_owned(),
            Standing::Deny {
                message: Some(message),
            } => format!("deny:{message}"),
        };
        let key = self.session_key(session);
        let mut pipe = ::redis::pipe();
        pipe.atomic()
            .hset(&key, format!("a:{tool}"), value)
            .ignore()
            .pexpire(&key, self.session_ttl_ms as i64)
            .ignore();
        let mut connection = self.connection.clone();
        self.timed(pipe.query_async::<()>(&mut connection)).await
    }
}

impl RedisBackend {
    async fn remember_content_in_redis(
        &self,
        session: &str,
        fingerprints: &[u64],
    ) -> Result<(), BackendError> {
        let key = self.content_key(session);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let members: Vec<(u64, String)> = fingerprints
            .iter()
            .map(|f| (now, format!("{f:016x}")))
            .collect();
        let mut pipe = ::redis::pipe();
        pipe.atomic()
            .zadd_multiple(&key, &members)
            .ignore()
            // Keep the newest; the rank counts from the lowest score.
            .zremrangebyrank(&key, 0, -(super::memory::MAX_FINGERPRINTS as isize) - 1)
            .ignore()
            .pexpire(&key, self.session_ttl_ms as i64)
            .ignore();
        let mut connection = self.connection.clone();
        self.timed(pipe.query_async::<()>(&mut connection)).await
    }

    async fn session_counts_in_redis(
        &self,
        session: &str,
        tool: &str,
    ) -> Result<(u64, u64), BackendError> {
        let mut command = ::redis::cmd("HMGET");
        command
            .arg(self.session_key(session))
            .arg("n")
            .arg(format!("n:{tool}"));
        let mut connection = self.connection.clone();
        let counts: Vec<Option<u64>> = self.timed(command.query_async(&mut connection)).await?;
        let at = |i: usize| counts.get(i).copied().flatten().unwrap_or(0);
        Ok((at(0), at(1)))
    }

    async fn content_seen_in_redis(
        &self,
        session: &str,
        fingerprints: &[u64],
    ) -> Result<bool, BackendError> {
        let mut command = ::redis::cmd("ZMSCORE");
        command.arg(self.content_key(session));
        for f in fingerprints {
            command.arg(format!("{f:016x}"));
        }
        let mut connection = self.connection.clone();
        let scores: Vec<Option<f64>> = self.timed(command.query_async(&mut connection)).await?;
        Ok(scores.iter().any(Option::is_some))
    }
}

/// Reads the admit script's flat reply; `None` if it has another shape.
fn parse_admitted(a: &Admission<'_>, reply: &[Value]) -> Option<Admitted> {
    let expected = a.calls.len() * 2 + a.sources.len() + a.standing.len();
    if reply.len() != expected {
        return None;
    }
    let int = |value: &Value| match value {
        Value::Int(n) => Some(*n),
        _ => None,
    };
    let (calls, rest) = reply.split_at(a.calls.len() * 2);
    let (sources, standing) = rest.split_at(a.sources.len());
    let mut admitted = Admitted::new(0, 0, 0);
    for pair in calls.chunks_exact(2) {
        let value = int(&pair[1])?;
        admitted.calls.push(match int(&pair[0])? {
            0 => CallVerdict::Admitted { reserved: false },
            1 => CallVerdict::Admitted { reserved: true },
            2 => CallVerdict::RateLimited {
                retry_after: Duration::from_micros(u64::try_from(value).ok()?),
            },
            3 => CallVerdict::Quota {
                quota: "session_calls",
                limit: u32::try_from(value).ok()?,
            },
            4 => CallVerdict::Quota {
                quota: "session_calls_per_tool",
                limit: u32::try_from(value).ok()?,
            },
            _ => return None,
        });
    }
    for age in sources {
        let age = int(age)?;
        admitted
            .sources
            .push(u64::try_from(age).ok().map(Duration::from_millis));
    }
    for value in standing {
        admitted.standing.push(match value {
            Value::Nil => None,
            Value::BulkString(bytes) => Some(match bytes.as_slice() {
                b"approve" => Standing::Approve,
                b"deny" => Standing::Deny { message: None },
                other => {
                    let message = other.strip_prefix(b"deny:")?;
                    Standing::Deny {
                        message: Some(String::from_utf8_lossy(message).into_owned()),
                    }
                }
            }),
            _ => return None,
        });
    }
    Some(admitted)
}

impl RedisBackendBuilder {
    /// Prefix of every key (default `guard`); guards sharing limits use the same one.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// How long one operation may take before it counts as failed (default 50 ms).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How long a session's state is kept after its last write (default 6 h).
    pub fn session_ttl(mut self, ttl: Duration) -> Self {
        self.session_ttl = ttl;
        self
    }

    /// Builds the backend. It connects on first use (so a guard can start
    /// while Redis is down; its calls are then refused) and must be built
    /// inside a Tokio runtime.
    ///
    /// # Errors
    /// A malformed URL.
    pub fn build(self) -> Result<RedisBackend, BackendError> {
        let client = Client::open(self.url.as_str())
            .map_err(|err| BackendError::new(format!("redis url: {}", err.category())))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.timeout))
            .set_response_timeout(Some(self.timeout))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(500));
        let connection = ConnectionManager::new_lazy_with_config(client, config)
            .map_err(|err| BackendError::new(format!("redis: {}", err.category())))?;
        Ok(RedisBackend {
            connection,
            admit: Script::new(include_str!("admit.lua")),
            settle: Script::new(include_str!("settle.lua")),
            prefix: self.prefix,
            timeout: self.timeout,
            session_ttl_ms: u64::try_from(self.session_ttl.as_millis())
                .unwrap_or(u64::MAX)
                .max(1),
            url: redacted_url(&self.url),
        })
    }
}

/// The URL without its password, for `Debug`.
fn redacted_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(parsed) => parsed.to_string(),
        Err(_) => "<invalid url>".to_owned(),
    }
}

impl fmt::Debug for RedisBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisBackend")
            .field("url", &self.url)
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .field("session_ttl_ms", &self.session_ttl_ms)
            .finish_non_exhaustive()
    }
}

impl StateBackend for RedisBackend {
    fn admit<'a>(&'a self, admission: &'a Admission<'a>) -> StateFuture<'a, Admitted> {
        StateFuture::boxed(self.admit_in_redis(admission))
    }

    fn settle<'a>(&'a self, settlement: &'a Settlement<'a>) -> StateFuture<'a, ()> {
        StateFuture::boxed(self.settle_in_redis(settlement))
    }

    fn remember<'a>(
        &'a self,
        session: &'a str,
        tool: &'a str,
        standing: &'a Standing,
    ) -> StateFuture<'a, ()> {
        StateFuture::boxed(self.remember_in_redis(session, tool, standing))
    }

    fn remember_content<'a>(
        &'a self,
        session: &'a str,
        fingerprints: &'a [u64],
    ) -> StateFuture<'a, ()> {
        StateFuture::boxed(self.remember_content_in_redis(session, fingerprints))
    }

    fn content_seen<'a>(
        &'a self,
        session: &'a str,
        fingerprints: &'a [u64],
    ) -> StateFuture<'a, bool> {
        StateFuture::boxed(self.content_seen_in_redis(session, fingerprints))
    }

    fn session_counts<'a>(
        &'a self,
        session: &'a str,
        tool: &'a str,
    ) -> StateFuture<'a, (u64, u64)> {
        StateFuture::boxed(self.session_counts_in_redis(session, tool))
    }
}
