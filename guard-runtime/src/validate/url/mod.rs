//! URLs: parsed as a browser would (WHATWG, the `url` crate), then refused
//! unless the scheme is allowed and the host is a public name or address.
//!
//! A URL that another reader would send elsewhere (RFC 3986 clients such as
//! curl and Python's `urllib`: backslashes, `@` after `\`, one slash after
//! the scheme, tabs inside the host) is refused, and the tool receives the
//! URL as parsed. Hosts of non-special schemes (`ssh`, `redis`, `ftp`...),
//! which WHATWG leaves opaque, are read as `getaddrinfo` will read them, so
//! `ssh://0x7f.1/` is the loopback address it is. A name must end in a
//! top-level domain of the public DNS ([`tlds`]): `*.svc`, `*.consul`,
//! `*.local`, `prometheus.monitoring` and other names only a private
//! resolver answers are internal.
//!
//! The parser already turns every encoding of an IPv4 address the URL
//! standard accepts (decimal `2130706433`, octal `0177.1`, hex `0x7f.1`,
//! short forms, full-width digits and ideographic dots) into one address, so
//! the address checks see through them; IPv4-mapped, NAT64 and 6to4 IPv6
//! addresses are checked by the IPv4 address they carry.

use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr};
use std::pin::Pin;

use url::{Host, Url};

use super::Violation;
use crate::net;

mod tlds;

/// Rules for a URL argument.
///
/// ```
/// use guard_runtime::validate::UrlPolicy;
///
/// let policy = UrlPolicy::new();
/// assert!(policy.check("https://docs.rs/serde").is_ok());
/// assert_eq!(policy.check("https://169.254.169.254/latest/").unwrap_err().code, "url.metadata");
/// assert_eq!(policy.check("https://0x7f.1/").unwrap_err().code, "url.loopback");
/// assert_eq!(policy.check("http://example.com/").unwrap_err().code, "url.scheme");
/// ```
#[derive(Debug, Clone)]
pub struct UrlPolicy {
    schemes: Vec<String>,
    allow_hosts: Option<Vec<String>>,
    allow_internal: Vec<String>,
    deny_hosts: Vec<String>,
    ports: Option<Vec<u16>>,
}

impl Default for UrlPolicy {
    fn default() -> Self {
        UrlPolicy {
            schemes: vec!["https".to_owned()],
            allow_hosts: None,
            allow_internal: Vec::new(),
            deny_hosts: Vec::new(),
            ports: None,
        }
    }
}

/// A URL that passed [`UrlPolicy::check`], with the address it may be fetched from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedUrl {
    pub(crate) url: Url,
    pub(crate) addresses: Vec<IpAddr>,
}

impl CheckedUrl {
    /// The parsed URL.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The vetted addresses: the literal address, or what DNS returned to
    /// [`UrlPolicy::check_resolved`]. Connect to these, not to the name, so
    /// a second lookup cannot rebind the host to an internal address.
    pub fn addresses(&self) -> &[IpAddr] {
        &self.addresses
    }
}

/// Looks host names up for [`UrlPolicy::check_resolved_with`].
pub trait Resolver: Send + Sync + std::fmt::Debug {
    /// The addresses `host` resolves to (`port` for resolvers that care).
    fn lookup<'a>(
        &'a self,
        host: &'a str,
        port: u16,
    ) -> Pin<Box<dyn Future<Output = io::Result<Vec<IpAddr>>> + Send + 'a>>;
}

/// The operating system's resolver (`getaddrinfo`, on Tokio's blocking pool).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemResolver;

impl Resolver for SystemResolver {
    fn lookup<'a>(
        &'a self,
        host: &'a str,
        port: u16,
    ) -> Pin<Box<dyn Future<Output = io::Result<Vec<IpAddr>>> + Send + 'a>> {
        Box::pin(async move {
            Ok(tokio::net::lookup_host((host, port))
                .await?
                .map(|addr| addr.ip())
                .collect())
        })
    }
}

/// Names under public top-level domains that still point inside a network.
const INTERNAL_SUFFIXES: [&str; 3] = [".home.arpa", ".in-addr.arpa", ".ip6.arpa"];

/// Cloud metadata services by name.
const METADATA_NAMES: [&str; 6] = [
    "metadata",
    "metadata.google.internal",
    "metadata.goog",
    "instance-data",
    "instance-data.ec2.internal",
    "metadata.azure.com",
];

/// Public DNS names that answer with whatever address their label spells.
const REBINDING_SUFFIXES: [&str; 9] = [
    "nip.io",
    "sslip.io",
    "xip.io",
    "localtest.me",
    "lvh.me",
    "vcap.me",
    "lacolhost.com",
    "fuf.me",
    "readme.localtest.me",
];

impl UrlPolicy {
    /// https only, any public host, any port.
    pub fn new() -> Self {
        UrlPolicy::default()
    }

    /// Allowed schemes (default: `https`).
    pub fn schemes<I, S>(mut self, schemes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.schemes = schemes
            .into_iter()
            .map(|s| s.into().to_lowercase())
            .collect();
        self
    }

    /// Only these hosts: `example.com` (exactly) or `*.example.com` (any subdomain).
    pub fn allow_hosts<I, S>(mut self, hosts: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.allow_hosts = Some(hosts.into_iter().map(|h| h.into().to_lowercase()).collect());
        self
    }

    /// Internal hosts the tool may reach on purpose (same patterns as
    /// `allow_hosts`; a literal address such as `127.0.0.1` or `[::1]` is
    /// written without brackets): these skip the checks for non-public
    /// names and addresses. Everything else still applies, so pair it with
    /// `ports`.
    ///
    /// ```
    /// use guard_runtime::validate::UrlPolicy;
    ///
    /// let policy = UrlPolicy::new().schemes(["http"]).allow_internal(["search.svc"]).ports([9200]);
    /// assert!(policy.check("http://search.svc:9200/").is_ok());
    /// assert_eq!(policy.check("http://other.svc:9200/").unwrap_err().code, "url.internal_host");
    /// ```
    pub fn allow_internal<I, S>(mut self, hosts: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.allow_internal = hosts.into_iter().map(|h| h.into().to_lowercase()).collect();
        self
    }

    fn internal_allowed(&self, host: &str) -> bool {
        self.allow_internal.iter().any(|p| host_matches(p, host))
    }

    /// Never these hosts (same patterns as `allow_hosts`).
    pub fn deny_hosts<I, S>(mut self, hosts: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.deny_hosts = hosts.into_iter().map(|h| h.into().to_lowercase()).collect();
        self
    }

    pub(crate) fn lists(&self) -> (&[String], Option<&[String]>, Option<&[u16]>) {
        (
            &self.schemes,
            self.allow_hosts.as_deref(),
            self.ports.as_deref(),
        )
    }

    /// Only these ports (the scheme's default port counts as given).
    pub fn ports(mut self, ports: impl IntoIterator<Item = u16>) -> Self {
        self.ports = Some(ports.into_iter().collect());
        self
    }

    /// Checks a URL without DNS. Names pass if they are public-looking; use
    /// [`check_resolved`](Self::check_resolved) to vet their addresses too.
    ///
    /// # Errors
    /// A [`Violation`] with code `url.unparseable`, `url.scheme`,
    /// `url.userinfo`, `url.no_host`, `url.port`, `url.host_not_allowed`,
    /// `url.host_denied`, `url.internal_host`, `url.rebinding_host`,
    /// `url.metadata`, `url.loopback`, `url.private`, `url.link_local`,
    /// `url.cgnat`, `url.multicast`, `url.unspecified` or `url.reserved`.
    pub fn check(&self, value: &str) -> Result<CheckedUrl, Violation> {
        let text = value.trim();
        let mut url = Url::parse(text)
            .map_err(|_| Violation::new("url.unparseable", "not a valid absolute URL"))?;
        if !self.schemes.iter().any(|s| s == url.scheme()) {
            return Err(Violation::new(
                "url.scheme",
                format!(
                    "only these schemes are allowed: {}",
                    self.schemes.join(", ")
                ),
            ));
        }
        let host = effective_host(&url)?;
        if !same_host(text, &url, host.as_ref()) {
            return Err(Violation::new(
                "url.ambiguous",
                "other URL parsers would read another host in this URL; send it in plain form",
            ));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Violation::new(
                "url.userinfo",
                "URLs with user names or passwords are not allowed",
            ));
        }
        if let Some(ports) = &self.ports {
            let port = url.port_or_known_default();
            if !port.is_some_and(|p| ports.contains(&p)) {
                return Err(Violation::new("url.port", "this port is not allowed"));
            }
        }
        let Some(host) = host else {
            return Err(Violation::new("url.no_host", "the URL has no host"));
        };
        // An opaque host is handed on in the form it was checked in.
        if !is_special(url.scheme()) && url.host_str() != Some(host.to_string().as_str()) {
            url.set_host(Some(&host.to_string()))
                .map_err(|_| Violation::new("url.unparseable", "not a valid absolute URL"))?;
        }
        let text_host = host_text(&url);
        let internal_ok = self.internal_allowed(&text_host);
        let addresses = match host {
            Host::Ipv4(ip) => {
                if !internal_ok {
                    check_ip(IpAddr::V4(ip))?;
                }
                vec![IpAddr::V4(ip)]
            }
            Host::Ipv6(ip) => {
                if !internal_ok {
                    check_ip(IpAddr::V6(ip))?;
                }
                vec![IpAddr::V6(ip)]
            }
            Host::Domain(name) => {
                if !internal_ok {
                    self.check_name(&name)?;
                }
                Vec::new()
            }
        };
        if let Some(allowed) = &self.allow_hosts
            && !allowed.iter().any(|p| host_matches(p, &text_host))
        {
            return Err(Violation::new(
                "url.host_not_allowed",
                "this host is not on the allow-list",
            ));
        }
        if self.deny_hosts.iter().any(|p| host_matches(p, &text_host)) {
            return Err(Violation::new("url.host_denied", "this host is denied"));
        }
        Ok(CheckedUrl { url, addresses })
    }

    /// Checks the URL, resolves its host and checks every address DNS
    /// returns: a public name that resolves to an internal address is refused.
    ///
    /// # Errors
    /// As [`check`](Self::check), plus `url.dns_failed` and `url.resolves_internal`.
    pub async fn check_resolved(&self, value: &str) -> Result<CheckedUrl, Violation> {
        self.check_resolved_with(value, &SystemResolver).await
    }

    /// [`check_resolved`](Self::check_resolved) with another resolver (a
    /// DNS-over-HTTPS client, a fixed table in tests).
    ///
    /// # Errors
    /// As [`check_resolved`](Self::check_resolved).
    pub async fn check_resolved_with(
        &self,
        value: &str,
        resolver: &dyn Resolver,
    ) -> Result<CheckedUrl, Violation> {
        let mut checked = self.check(value)?;
        if !checked.addresses.is_empty() {
            return Ok(checked);
        }
        let host = host_text(&checked.url);
        let port = checked.url.port_or_known_default().unwrap_or(443);
        let resolved: Vec<IpAddr> = resolver
            .lookup(&host, port)
            .await
            .map_err(|_| Violation::new("url.dns_failed", "the host name does not resolve"))?;
        if resolved.is_empty() {
            return Err(Violation::new(
                "url.dns_failed",
                "the host name does not resolve",
            ));
        }
        let internal_ok = self.internal_allowed(&host);
        for ip in resolved.iter().filter(|_| !internal_ok) {
            check_ip(*ip).map_err(|v| {
                Violation::new(
                    "url.resolves_internal",
                    format!("the host resolves to a non-public address ({})", v.code),
                )
            })?;
        }
        checked.addresses = resolved;
        Ok(checked)
    }

    fn check_name(&self, name: &str) -> Result<(), Violation> {
        let name = name.trim_end_matches('.').to_lowercase();
        if METADATA_NAMES.contains(&name.as_str()) {
            return Err(Violation::new(
                "url.metadata",
                "cloud metadata services are not allowed",
            ));
        }
        let tld = name.rsplit('.').next().unwrap_or_default();
        if name == "localhost"
            || !name.contains('.')
            || INTERNAL_SUFFIXES.iter().any(|s| name.ends_with(s))
        {
            return Err(Violation::new(
                "url.internal_host",
                "internal host names are not allowed",
            ));
        }
        if REBINDING_SUFFIXES
            .iter()
            .any(|s| name == *s || name.ends_with(&format!(".{s}")))
            || embeds_private_ipv4(&name)
        {
            return Err(Violation::new(
                "url.rebinding_host",
                "host names that spell out an internal address are not allowed",
            ));
        }
        if tlds::TLDS.binary_search(&tld).is_err() {
            return Err(Violation::new(
                "url.internal_host",
                "the name is not in the public DNS (its top-level domain is not delegated)",
            ));
        }
        Ok(())
    }
}

/// The host a resolver will be asked for: WHATWG's for special schemes; for
/// the others, their opaque host read the way `getaddrinfo` and special
/// schemes read one (IPv4 in any notation, IDNA, percent-decoding).
fn effective_host(url: &Url) -> Result<Option<Host<String>>, Violation> {
    if url.cannot_be_a_base() || !url.has_host() {
        return Ok(None);
    }
    if is_special(url.scheme()) {
        return Ok(url.host().map(|h| h.to_owned()));
    }
    let opaque = url.host_str().unwrap_or_default();
    Host::parse(opaque)
        .map(Some)
        .map_err(|_| Violation::new("url.unparseable", "the URL's host is not a host name"))
}

fn is_special(scheme: &str) -> bool {
    matches!(scheme, "http" | "https" | "ws" | "wss" | "ftp" | "file")
}

/// Whether an RFC 3986 reader of the raw text finds the host WHATWG found.
fn same_host(text: &str, url: &Url, host: Option<&Host<String>>) -> bool {
    match (rfc3986_host_text(text), host) {
        (None, None) => true,
        // Already in WHATWG's form: nothing to parse.
        (Some(raw), Some(_)) if url.host_str() == Some(raw) => true,
        (Some(raw), Some(host)) => Host::parse(raw).ok().as_ref() == Some(host),
        _ => false,
    }
}

/// The host an RFC 3986 reader (curl, Python's `urllib`, Go's `net/url`)
/// finds in the raw text: the authority runs from `//` to the first `/`,
/// `?` or `#` (a backslash is an ordinary character there), the host after
/// its last `@`. Compared after the same host parser, so spelling
/// differences (case, IDNA, IPv4 notation) are not differences.
fn rfc3986_host_text(text: &str) -> Option<&str> {
    let (_, rest) = text.split_once(':')?;
    let rest = rest.strip_prefix("//")?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if host_port.starts_with('[') {
        &host_port[..host_port.find(']').map_or(host_port.len(), |i| i + 1)]
    } else {
        match host_port.rsplit_once(':') {
            Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
            _ => host_port,
        }
    };
    (!host.is_empty()).then_some(host)
}

fn host_text(url: &Url) -> String {
    url.host_str()
        .unwrap_or_default()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .trim_end_matches('.')
        .to_lowercase()
}

fn host_matches(pattern: &str, host: &str) -> bool {
    match pattern.strip_prefix("*.") {
        Some(suffix) => {
            host.len() > suffix.len()
                && host.ends_with(suffix)
                && host[..host.len() - suffix.len()].ends_with('.')
        }
        None => pattern == host,
    }
}

/// `10.0.0.1.example.com`, `127-0-0-1.example.com`, `127.0.0.1!`: a name
/// spelling a non-public IPv4 address as four numbers joined by dots or
/// dashes anywhere in it.
fn embeds_private_ipv4(name: &str) -> bool {
    let bytes = name.as_bytes();
    let mut start = 0;
    while start < bytes.len() {
        if !bytes[start].is_ascii_digit() || (start > 0 && bytes[start - 1].is_ascii_digit()) {
            start += 1;
            continue;
        }
        let mut octets = Vec::with_capacity(4);
        let mut i = start;
        while octets.len() < 4 {
            let begin = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() && i - begin < 4 {
                i += 1;
            }
            match name[begin..i].parse::<u8>() {
                Ok(octet) if i > begin => octets.push(octet),
                _ => break,
            }
            if octets.len() < 4 {
                if i < bytes.len() && matches!(bytes[i], b'.' | b'-') {
                    i += 1;
                } else {
                    break;
                }
            }
        }
        if octets.len() == 4
            && (i == bytes.len() || !bytes[i].is_ascii_digit())
            && net::classify_v4(Ipv4Addr::new(octets[0], octets[1], octets[2], octets[3])).is_some()
        {
            return true;
        }
        start += 1;
    }
    false
}

/// Refuses every address that is not globally routable.
fn check_ip(ip: IpAddr) -> Result<(), Violation> {
    match net::classify(ip) {
        Some(class) => Err(Violation::new(
            class.code(),
            "the address is not a public internet address",
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(value: &str) -> &'static str {
        match UrlPolicy::new().schemes(["https", "http"]).check(value) {
            Ok(_) => "ok",
            Err(v) => v.code,
        }
    }

    #[test]
    fn every_encoding_of_an_internal_address_is_refused() {
        let cases = [
            ("https://example.com/a?b=c", "ok"),
            ("https://93.184.216.34/", "ok"),
            ("https://localhost.example.com/", "ok"),
            ("https://example.com/?next=http://127.0.0.1/", "ok"),
            ("http://127.0.0.1/", "url.loopback"),
            ("http://2130706433/", "url.loopback"),
            ("http://0177.0.0.1/", "url.loopback"),
            ("http://0x7f.1/", "url.loopback"),
            ("http://127.1/", "url.loopback"),
            ("http://127.0.0.1./", "url.loopback"),
            ("http://[::1]/", "url.loopback"),
            ("http://[::ffff:127.0.0.1]/", "url.loopback"),
            ("http://[::ffff:a9fe:a9fe]/", "url.metadata"),
            ("http://[64:ff9b::10.0.0.1]/", "url.private"),
            ("http://[2002:c0a8:0101::]/", "url.private"),
            ("http://169.254.169.254/latest/meta-data/", "url.metadata"),
            ("http://[fd00:ec2::254]/", "url.metadata"),
            ("http://metadata.google.internal/", "url.metadata"),
            ("http://10.1.2.3/", "url.private"),
            ("http://172.31.0.1/", "url.private"),
            ("http://192.168.0.1/", "url.private"),
            ("http://[fc00::1]/", "url.private"),
            ("http://169.254.1.1/", "url.link_local"),
            ("http://[fe80::1]/", "url.link_local"),
            ("http://100.64.0.1/", "url.cgnat"),
            ("http://0.0.0.0/", "url.unspecified"),
            ("http://[::]/", "url.unspecified"),
            ("http://224.0.0.1/", "url.multicast"),
            ("http://240.0.0.1/", "url.reserved"),
            ("http://localhost/", "url.internal_host"),
            ("http://LOCALHOST./", "url.internal_host"),
            ("http://intranet/", "url.internal_host"),
            ("http://db.internal/", "url.internal_host"),
            ("http://127.0.0.1.nip.io/", "url.rebinding_host"),
            ("http://app.10.0.0.1.example.com/", "url.rebinding_host"),
            ("http://127-0-0-1.example.com/", "url.rebinding_host"),
            ("http://127.0.0.1!/", "url.rebinding_host"),
            ("https://a-1-2-3-4.example.com/", "ok"),
            ("https://cdn-8-8-8-8.example.net/x", "ok"),
            ("http://①②⑦.⓪.⓪.①/", "url.loopback"),
            ("http://127。0。0。1/", "url.loopback"),
            ("http://user:pass@example.com/", "url.userinfo"),
            ("http://example.com@127.0.0.1/", "url.userinfo"),
            ("file:///etc/passwd", "url.scheme"),
            ("gopher://127.0.0.1:70/", "url.scheme"),
            ("127.0.0.1/admin", "url.unparseable"),
        ];
        for (value, expected) in cases {
            assert_eq!(code(value), expected, "{value}");
        }
    }

    #[test]
    fn hosts_of_non_special_schemes_are_read_as_a_resolver_reads_them() {
        let policy = UrlPolicy::new().schemes(["ssh", "redis", "ftp", "git", "sftp"]);
        for (value, expected) in [
            ("ssh://0x7f.1/", "url.loopback"),
            ("redis://0x7f.1:6379/", "url.loopback"),
            ("ssh://169.254.43518/", "url.metadata"),
            ("ssh://10.1/", "url.private"),
            ("git://2130706433/repo", "url.loopback"),
            ("ssh://[::1]/", "url.loopback"),
            ("redis://cache.svc:6379/", "url.internal_host"),
            ("ssh://git@github.com/o/r", "url.userinfo"),
            ("ssh://github.com/o/r", "ok"),
            ("sftp://93.184.216.34/x", "ok"),
        ] {
            let got = match policy.check(value) {
                Ok(_) => "ok",
                Err(v) => v.code,
            };
            assert_eq!(got, expected, "{value}");
        }
        // The tool receives the host in the form that was checked.
        let checked = policy.check("ssh://0x5DB8D822/x").unwrap();
        assert_eq!(checked.url().as_str(), "ssh://93.184.216.34/x");
    }

    #[test]
    fn urls_other_parsers_read_differently_are_refused() {
        let policy = UrlPolicy::new()
            .schemes(["http", "https"])
            .allow_hosts(["good.com", "example.com"]);
        for value in [
            "http://example.com\\@127.0.0.1:58081/admin",
            "https://good.com\\@evil.com/",
            "https:\\\\evil.com/",
            "http:/good.com/",
            "http:good.com/",
            "http://exa\tmple.com/",
            "https://good.com\\.evil.com/",
        ] {
            assert_eq!(
                policy.check(value).unwrap_err().code,
                "url.ambiguous",
                "{value:?}"
            );
        }
        for value in [
            "https://good.com/a\\b",
            "https://GOOD.com:443/x?y=\\",
            "https://example.com/@x",
        ] {
            assert!(policy.check(value).is_ok(), "{value:?}");
        }
        let idn = UrlPolicy::new().check("https://bücher.de/").unwrap();
        assert_eq!(idn.url().host_str(), Some("xn--bcher-kva.de"));
    }

    #[test]
    fn names_outside_the_public_dns_are_internal() {
        for value in [
            "https://kubernetes.default.svc/",
            "https://api.default.svc.cluster.local/",
            "https://vault.service.consul/",
            "https://prometheus.monitoring:9090/",
            "https://printer.lan/",
            "https://nas.home.arpa/",
            "https://db.corp/",
            "https://x.test/",
        ] {
            assert_eq!(
                UrlPolicy::new().check(value).unwrap_err().code,
                "url.internal_host",
                "{value}"
            );
        }
        for value in [
            "https://docs.rs/",
            "https://example.co.uk/",
            "https://a.dev/",
            "https://x.xn--p1ai/",
        ] {
            assert!(UrlPolicy::new().check(value).is_ok(), "{value}");
        }
    }

    #[test]
    fn translated_and_local_nat64_addresses_are_refused() {
        assert_eq!(code("http://[::ffff:0:7f00:1]/"), "url.loopback");
        assert_eq!(code("http://[::ffff:0:a9fe:a9fe]/"), "url.metadata");
        assert_eq!(code("http://[64:ff9b:1::808:808]/"), "url.private");
        assert_eq!(code("http://[64:ff9b::808:808]/"), "ok");
    }

    #[test]
    fn host_and_port_lists() {
        let policy = UrlPolicy::new()
            .allow_hosts(["api.example.com", "*.docs.rs"])
            .ports([443]);
        assert!(policy.check("https://api.example.com/v1").is_ok());
        assert!(policy.check("https://x.docs.rs/").is_ok());
        assert_eq!(
            policy.check("https://docs.rs/").unwrap_err().code,
            "url.host_not_allowed"
        );
        assert_eq!(
            policy.check("https://evil.com/").unwrap_err().code,
            "url.host_not_allowed"
        );
        assert_eq!(
            policy
                .check("https://api.example.com:8443/")
                .unwrap_err()
                .code,
            "url.port"
        );
        let deny = UrlPolicy::new().deny_hosts(["*.evil.com"]);
        assert_eq!(
            deny.check("https://a.evil.com/").unwrap_err().code,
            "url.host_denied"
        );
        assert!(deny.check("https://notevil.com/").is_ok());
    }

    #[tokio::test]
    async fn literal_addresses_are_handed_over_for_connecting() {
        let checked = UrlPolicy::new()
            .check_resolved("https://93.184.216.34/x")
            .await
            .unwrap();
        assert_eq!(
            checked.addresses(),
            ["93.184.216.34".parse::<IpAddr>().unwrap()]
        );
    }
}
