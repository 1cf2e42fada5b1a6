//! An HTTP client for tool bodies that connects only to what the URL
//! validator checked (feature `http`).
//!
//! A [`CheckedUrl`] carries the addresses that were vetted; an ordinary
//! client would resolve the name again (and could be answered with
//! 169.254.169.254 the second time) and would follow redirects to anywhere.
//! [`SafeClient`] pins each connection to the vetted addresses, follows
//! redirects itself, checking every hop with the same [`UrlPolicy`] (DNS
//! included) before it connects, and caps time and response size.
//!
//! ```no_run
//! use guard_runtime::http::SafeClient;
//! use guard_runtime::validate::UrlPolicy;
//!
//! # async fn f() -> Result<(), guard_runtime::http::HttpError> {
//! let client = SafeClient::new(UrlPolicy::new().allow_hosts(["*.example.com"]));
//! let page = client.get("https://docs.example.com/guide").await?;
//! println!("{} bytes from {}", page.body().len(), page.url());
//! # Ok(())
//! # }
//! ```

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use url::Url;

use crate::validate::{CheckedUrl, Resolver, SystemResolver, UrlPolicy, Violation};

/// Redirects followed before giving up.
const DEFAULT_MAX_REDIRECTS: usize = 5;
/// Whole-request time limit, connection included.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);
/// Largest body read (bytes).
const DEFAULT_MAX_BODY: usize = 4 * 1024 * 1024;

/// Why a request did not return a response. Messages carry no response
/// content and no resolved addresses, so they are safe to show a model.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HttpError {
    /// The URL, or a redirect's target, was refused by the policy.
    #[error("refused: {} ({})", .0.detail, .0.code)]
    Refused(Violation),
    /// More redirects than allowed.
    #[error("too many redirects (more than {0})")]
    TooManyRedirects(usize),
    /// The body was larger than the cap.
    #[error("the response is larger than {0} bytes")]
    TooLarge(usize),
    /// The request did not finish in time.
    #[error("the request timed out")]
    TimedOut,
    /// Connecting, TLS or the HTTP exchange failed.
    #[error("the request failed: {0}")]
    Failed(String),
}

/// A response read in full (up to the size cap).
#[derive(Debug, Clone)]
pub struct Response {
    url: Url,
    status: u16,
    content_type: Option<String>,
    body: Vec<u8>,
}

impl Response {
    /// The URL that answered (after redirects).
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The `Content-Type` header, if any.
    pub fn content_type(&self) -> Option<&str> {
        self.content_type.as_deref()
    }

    /// The body.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The body as text (lossy UTF-8).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A GET-only HTTP client pinned to vetted addresses. Cheap to clone.
#[derive(Debug, Clone)]
pub struct SafeClient {
    policy: UrlPolicy,
    resolver: Arc<dyn Resolver>,
    max_redirects: usize,
    timeout: Duration,
    max_body: usize,
}

impl SafeClient {
    /// A client for URLs `policy` allows; names are always resolved and
    /// every address vetted. 5 redirects, 15 s, 4 MiB by default.
    pub fn new(policy: UrlPolicy) -> Self {
        SafeClient {
            policy,
            resolver: Arc::new(SystemResolver),
            max_redirects: DEFAULT_MAX_REDIRECTS,
            timeout: DEFAULT_TIMEOUT,
            max_body: DEFAULT_MAX_BODY,
        }
    }

    /// Resolves names with `resolver` instead of the system's.
    pub fn resolver(mut self, resolver: impl Resolver + 'static) -> Self {
        self.resolver = Arc::new(resolver);
        self
    }

    /// Redirects to follow (0: none).
    pub fn max_redirects(mut self, redirects: usize) -> Self {
        self.max_redirects = redirects;
        self
    }

    /// Time limit for the whole request, redirects included.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Largest body read, in bytes.
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

    /// Checks `url` (with DNS) and fetches it.
    ///
    /// # Errors
    /// [`HttpError`]: a refusal names the validator's code.
    pub async fn get(&self, url: &str) -> Result<Response, HttpError> {
        let checked = self
            .policy
            .check_resolved_with(url, &*self.resolver)
            .await
            .map_err(HttpError::Refused)?;
        self.get_checked(checked).await
    }

    /// Fetches a URL the validator already checked (a `CheckedUrl` tool
    /// parameter). Names it was checked without DNS are resolved and vetted
    /// now.
    ///
    /// # Errors
    /// As [`get`](Self::get).
    pub async fn get_checked(&self, url: CheckedUrl) -> Result<Response, HttpError> {
        tokio::time::timeout(self.timeout, self.follow(url))
            .await
            .map_err(|_| HttpError::TimedOut)?
    }

    async fn follow(&self, mut url: CheckedUrl) -> Result<Response, HttpError> {
        for _ in 0..=self.max_redirects {
            if url.addresses().is_empty() {
                url = self
                    .policy
                    .check_resolved_with(url.url().as_str(), &*self.resolver)
                    .await
                    .map_err(HttpError::Refused)?;
            }
            let response = self.send(&url).await?;
            let status = response.status();
            let location = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            match (status.is_redirection(), location) {
                (true, Some(location)) => {
                    let next = url
                        .url()
                        .join(&location)
                        .map_err(|_| HttpError::Failed("a redirect to an invalid URL".into()))?;
                    // Every hop is checked, DNS included, before it is reached.
                    url = self
                        .policy
                        .check_resolved_with(next.as_str(), &*self.resolver)
                        .await
                        .map_err(HttpError::Refused)?;
                }
                _ => return self.read(url.url().clone(), response).await,
            }
        }
        Err(HttpError::TooManyRedirects(self.max_redirects))
    }

    async fn send(&self, url: &CheckedUrl) -> Result<reqwest::Response, HttpError> {
        let port = url.url().port_or_known_default().unwrap_or(443);
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(self.timeout);
        if let Some(url::Host::Domain(name)) = url.url().host() {
            let pinned: Vec<SocketAddr> = url
                .addresses()
                .iter()
                .map(|ip| SocketAddr::new(*ip, port))
                .collect();
            builder = builder.resolve_to_addrs(name, &pinned);
        }
        let client = builder.build().map_err(failed)?;
        client.get(url.url().as_str()).send().await.map_err(failed)
    }

    async fn read(&self, url: Url, mut response: reqwest::Response) -> Result<Response, HttpError> {
        if response
            .content_length()
            .is_some_and(|n| n > self.max_body as u64)
        {
            return Err(HttpError::TooLarge(self.max_body));
        }
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(failed)? {
            if body.len() + chunk.len() > self.max_body {
                return Err(HttpError::TooLarge(self.max_body));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Response {
            url,
            status,
            content_type,
            body,
        })
    }
}

/// The error's kind only: reqwest's messages can name the resolved address.
fn failed(err: reqwest::Error) -> HttpError {
    if err.is_timeout() {
        return HttpError::TimedOut;
    }
    let what = if err.is_connect() {
        "could not connect"
    } else if err.is_body() || err.is_decode() {
        "the response body could not be read"
    } else if err.is_builder() {
        "the request could not be built"
    } else {
        "the HTTP exchange failed"
    };
    HttpError::Failed(what.to_owned())
}
