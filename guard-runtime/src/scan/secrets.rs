//! Credentials: 58 detectors, most with literal keywords that must occur
//! before their regex runs, optional entropy floors, and placeholder filters.
//!
//! The shared literal pass (one DFA walk, see `literals.rs`) decides which
//! regexes run at all: it finds token prefixes (`ghp_`, `AKIA`, ...) and
//! key names (`password`, `token`, ...) in any case, so `pAsSwOrD = ...`
//! is checked like `PASSWORD = ...`. Each regex then matches with its own
//! case rules.

use std::sync::LazyLock;

use regex::Regex;

use super::finding::{Finding, dedup_overlaps, entropy};
use super::literals::{LITERALS, Use};
use super::shape::{MIN_RUN, base64_runs};

struct Detector {
    id: &'static str,
    keywords: &'static [&'static str],
    /// Group 1, when present, is the secret; otherwise the whole match.
    pattern: &'static str,
    /// Minimum Shannon entropy (bits/char) of the secret; 0 for none.
    min_entropy: f64,
}

const fn d(
    id: &'static str,
    keywords: &'static [&'static str],
    pattern: &'static str,
    min_entropy: f64,
) -> Detector {
    Detector {
        id,
        keywords,
        pattern,
        min_entropy,
    }
}

/// Key-like names that introduce a secret in `name = value` assignments.
const SECRET_NAMES: &str = r"(?:password|passwd|pass|pwd|secret|secret_key|api_?key|apikey|access_?key|access_?token|auth_?token|private_?key|client_?secret|token|credentials?)";

static DETECTORS: &[Detector] = &[
    d(
        "openai_api_key",
        &["T3BlbkFJ"],
        r"\b(sk-[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,})",
        0.0,
    ),
    d(
        "openai_project_key",
        &["sk-proj-", "sk-svcacct-", "sk-admin-"],
        r"\b(sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,})",
        3.5,
    ),
    d(
        "anthropic_api_key",
        &["sk-ant-"],
        r"\b(sk-ant-(?:api|admin)\d{2}-[A-Za-z0-9_-]{80,120})",
        3.5,
    ),
    d(
        "aws_access_key",
        &["AKIA", "ASIA", "ABIA", "ACCA"],
        r"\b((?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})\b",
        3.0,
    ),
    d(
        "aws_secret_key",
        &["aws"],
        r#"(?i)aws.{0,24}?(?:secret|sk|key).{0,24}?[\s'"=:>]{1,4}([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+]|$)"#,
        4.0,
    ),
    d("gcp_api_key", &["AIza"], r"\b(AIza[0-9A-Za-z_-]{35})", 3.5),
    d(
        "gcp_service_account",
        &["private_key_id"],
        r#""private_key_id"\s*:\s*"([a-f0-9]{40})""#,
        3.0,
    ),
    d(
        "azure_storage_key",
        &["AccountKey="],
        r"AccountKey=([A-Za-z0-9+/]{86}==)",
        4.0,
    ),
    d(
        "azure_sas_token",
        &["sig="],
        r"[?&]sv=\d{4}-\d{2}-\d{2}[^\s]*?&sig=([A-Za-z0-9%+/=]{40,})",
        3.5,
    ),
    d(
        "azure_client_secret",
        &["azure"],
        r#"(?i)azure.{0,24}?(?:secret|password).{0,8}?[\s'"=:]{1,4}([A-Za-z0-9_~.-]{3}8Q~[A-Za-z0-9_~.-]{31,34})"#,
        3.5,
    ),
    d("github_pat", &["ghp_"], r"\b(ghp_[A-Za-z0-9]{36})\b", 3.5),
    d("github_oauth", &["gho_"], r"\b(gho_[A-Za-z0-9]{36})\b", 3.5),
    d(
        "github_app_token",
        &["ghu_", "ghs_"],
        r"\b((?:ghu|ghs)_[A-Za-z0-9]{36})\b",
        3.5,
    ),
    d(
        "github_refresh_token",
        &["ghr_"],
        r"\b(ghr_[A-Za-z0-9]{36,76})\b",
        3.5,
    ),
    d(
        "github_fine_grained_pat",
        &["github_pat_"],
        r"\b(github_pat_[A-Za-z0-9_]{80,})",
        3.5,
    ),
    d(
        "gitlab_pat",
        &["glpat-"],
        r"\b(glpat-[A-Za-z0-9_-]{20,})",
        3.0,
    ),
    d(
        "gitlab_token",
        &[
            "glrt-", "glptt-", "gldt-", "glcbt-", "glft-", "glsoat-", "gloas-", "glimt-",
            "glagent-", "glffct-",
        ],
        r"\b((?:glrt|glptt|gldt|glcbt|glft|glsoat|gloas|glimt|glagent|glffct)-[A-Za-z0-9_-]{20,})",
        3.0,
    ),
    d(
        "slack_bot_token",
        &["xoxb-"],
        r"\b(xoxb-[0-9]{8,13}-[0-9A-Za-z-]{12,})",
        3.0,
    ),
    d(
        "slack_user_token",
        &["xoxp-", "xoxe", "xoxa-", "xoxs-", "xoxr-"],
        r"\b(xox(?:p|e(?:\.xox[bp])?|a|s|r)-[0-9A-Za-z-]{20,})",
        3.0,
    ),
    d(
        "slack_app_token",
        &["xapp-"],
        r"\b(xapp-\d-[A-Z0-9]+-\d+-[a-z0-9]{32,})",
        3.0,
    ),
    d(
        "slack_webhook",
        &["hooks.slack.com"],
        r"(https://hooks\.slack\.com/(?:services|workflows)/[A-Za-z0-9/_-]{30,})",
        3.0,
    ),
    d(
        "stripe_secret_key",
        &["sk_live_", "rk_live_", "sk_test_", "rk_test_"],
        r"\b((?:sk|rk)_(?:live|test)_[A-Za-z0-9]{20,99})",
        3.0,
    ),
    d("twilio_api_key", &["SK"], r"\b(SK[0-9a-f]{32})\b", 3.0),
    d(
        "sendgrid_api_key",
        &["SG."],
        r"\b(SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43})",
        3.5,
    ),
    d("npm_token", &["npm_"], r"\b(npm_[A-Za-z0-9]{36})\b", 3.5),
    d(
        "pypi_token",
        &["pypi-AgEIcHlwaS5vcmc"],
        r"\b(pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,})",
        3.0,
    ),
    d("huggingface_token", &["hf_"], r"\b(hf_[A-Za-z]{34})\b", 3.0),
    d(
        "jwt",
        &["eyJ"],
        r"\b(eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}(?:\.[A-Za-z0-9_-]{10,})?)",
        3.0,
    ),
    d(
        "rsa_private_key",
        &["BEGIN RSA PRIVATE KEY"],
        r"(-----BEGIN RSA PRIVATE KEY-----[\s\S]*?(?:-----END RSA PRIVATE KEY-----|\z))",
        0.0,
    ),
    d(
        "ec_private_key",
        &["BEGIN EC PRIVATE KEY"],
        r"(-----BEGIN EC PRIVATE KEY-----[\s\S]*?(?:-----END EC PRIVATE KEY-----|\z))",
        0.0,
    ),
    d(
        "dsa_private_key",
        &["BEGIN DSA PRIVATE KEY"],
        r"(-----BEGIN DSA PRIVATE KEY-----[\s\S]*?(?:-----END DSA PRIVATE KEY-----|\z))",
        0.0,
    ),
    d(
        "openssh_private_key",
        &["BEGIN OPENSSH PRIVATE KEY"],
        r"(-----BEGIN OPENSSH PRIVATE KEY-----[\s\S]*?(?:-----END OPENSSH PRIVATE KEY-----|\z))",
        0.0,
    ),
    d(
        "pgp_private_key",
        &["BEGIN PGP PRIVATE KEY BLOCK"],
        r"(-----BEGIN PGP PRIVATE KEY BLOCK-----[\s\S]*?(?:-----END PGP PRIVATE KEY BLOCK-----|\z))",
        0.0,
    ),
    d(
        "private_key",
        &["BEGIN PRIVATE KEY", "BEGIN ENCRYPTED PRIVATE KEY"],
        r"(-----BEGIN (?:ENCRYPTED )?PRIVATE KEY-----[\s\S]*?(?:-----END (?:ENCRYPTED )?PRIVATE KEY-----|\z))",
        0.0,
    ),
    d(
        "database_url_password",
        &["://"],
        r"(?i)\b(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|redis|rediss|amqps?|mssql|sqlserver|clickhouse|cockroachdb)://[^\s:/@]+:([^\s@/]{4,})@[^\s/]+",
        2.5,
    ),
    d(
        "url_password",
        &["://"],
        r"(?i)\b(?:https?|ftp|sftp|smtp|ldap)://[^\s:/@]+:([^\s@/]{6,})@[A-Za-z0-9.-]+",
        3.0,
    ),
    d(
        "discord_bot_token",
        &[],
        r"\b([A-Za-z\d]{24,28}\.[\w-]{6}\.[\w-]{27,40})\b",
        4.0,
    ),
    d(
        "discord_webhook",
        &["discord.com/api/webhooks", "discordapp.com/api/webhooks"],
        r"(https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/\d+/[\w-]{60,})",
        3.0,
    ),
    d(
        "telegram_bot_token",
        &[":AA"],
        r"(?:^|[^0-9])(\d{8,10}:AA[0-9A-Za-z_-]{33})\b",
        3.0,
    ),
    d("mailgun_api_key", &["key-"], r"\b(key-[0-9a-z]{32})\b", 3.0),
    d(
        "mailchimp_api_key",
        &["-us"],
        r"\b([0-9a-f]{32}-us\d{1,2})\b",
        3.0,
    ),
    d(
        "shopify_token",
        &["shpat_", "shpca_", "shppa_", "shpss_"],
        r"\b(shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32})\b",
        3.0,
    ),
    d(
        "digitalocean_token",
        &["dop_v1_", "doo_v1_", "dor_v1_"],
        r"\b(do[opr]_v1_[a-f0-9]{64})\b",
        3.0,
    ),
    d(
        "databricks_token",
        &["dapi"],
        r"\b(dapi[a-f0-9]{32}(?:-\d)?)\b",
        3.0,
    ),
    d(
        "linear_api_key",
        &["lin_api_"],
        r"\b(lin_api_[a-zA-Z0-9]{40})\b",
        3.0,
    ),
    d(
        "postman_api_key",
        &["PMAK-"],
        r"\b(PMAK-[a-f0-9]{24}-[a-f0-9]{34})\b",
        3.0,
    ),
    d(
        "grafana_token",
        &["glc_", "glsa_"],
        r"\b(glc_[A-Za-z0-9+/]{32,}={0,2}|glsa_[A-Za-z0-9]{32}_[a-f0-9]{8})",
        3.0,
    ),
    d("newrelic_key", &["NRAK-"], r"\b(NRAK-[A-Z0-9]{27})\b", 3.0),
    d(
        "sentry_token",
        &["sntrys_", "sntryu_"],
        r"\b(sntry[su]_[A-Za-z0-9+/=_]{40,})",
        3.0,
    ),
    d(
        "vault_token",
        &["hvs.", "hvb."],
        r"\b(hv[sb]\.[A-Za-z0-9_-]{24,})",
        3.5,
    ),
    d(
        "age_secret_key",
        &["AGE-SECRET-KEY-1"],
        r"(AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58})",
        0.0,
    ),
    d("groq_api_key", &["gsk_"], r"\b(gsk_[A-Za-z0-9]{52})\b", 3.5),
    d(
        "replicate_token",
        &["r8_"],
        r"\b(r8_[A-Za-z0-9]{37})\b",
        3.5,
    ),
    d(
        "doppler_token",
        &["dp.pt.", "dp.st.", "dp.sa."],
        r"\b(dp\.(?:pt|st|sa)\.[A-Za-z0-9]{40,44})\b",
        3.5,
    ),
    d(
        "bearer_token",
        &["bearer"],
        r"(?i)\bauthorization['\x22]?\s*[:=]\s*['\x22]?bearer\s+([A-Za-z0-9._~+/-]{24,}=*)",
        3.5,
    ),
    d(
        "aws_secret_key_shaped",
        &[],
        r#"["']([A-Za-z0-9/+]{40})["']"#,
        4.6,
    ),
    d(
        "secret_comparison",
        &["pass", "pwd", "secret", "key", "token"],
        r#"(?i)["'`]([^"'`\n]{8,})["'`]\s*(?:===?|!==?)\s*[A-Za-z0-9_.]*?(?:password|passwd|pass|pwd|secret|api_?key|private_?key|token)\b|\b[A-Za-z0-9_.]*?(?:password|passwd|pass|pwd|secret|api_?key|private_?key|token)\s*(?:===?|!==?)\s*["'`]([^"'`\n]{8,})["'`]"#,
        3.2,
    ),
    d(
        "generic_secret_assignment",
        &["pass", "pwd", "secret", "key", "token", "credential"],
        "",
        3.2,
    ),
];

/// The generic assignment pattern, built from [`SECRET_NAMES`].
fn generic_pattern() -> String {
    format!(
        r#"(?i){SECRET_NAMES}[A-Za-z0-9_]*['"]?\s*(?::=|=>|[=:])\s*@?(?:"([^"\n]{{8,}})"|'([^'\n]{{8,}})'|`([^`\n]{{8,}})`|([^\s'"`,;]{{8,}}))"#
    )
}

/// A whole value that names a secret kept elsewhere: `${DB_PASSWORD}`,
/// `$TOKEN`, `{{ secrets.KEY }}`, `%API_KEY%`, `<your-key>`, `os.environ[...]`.
static ENV_REFERENCE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:\$\{?[A-Za-z_][A-Za-z0-9_.:-]*\}?|\{\{[^}]*\}\}|%[A-Za-z_][A-Za-z0-9_]*%|<[^>]*>|(?:os\.)?(?:environ|getenv|env)\b.*|process\.env\..*)$")
        .expect("env reference pattern")
});

/// Values that stand in for a secret rather than being one.
fn is_placeholder(secret: &str) -> bool {
    let lower = secret.to_ascii_lowercase();
    const STAND_INS: [&str; 12] = [
        "password",
        "passwd",
        "pass",
        "secret",
        "changeme",
        "admin",
        "root",
        "test",
        "mypassword",
        "yourpassword",
        "123456",
        "12345678",
    ];
    STAND_INS.contains(&lower.as_str())
        || lower.contains("example")
        || lower.contains("xxxx")
        || lower.contains("****")
        || lower.contains("....")
        || lower.contains("your_")
        || lower.contains("your-")
        || lower.contains("placeholder")
        || lower.contains("changeme")
        || lower.contains("replace")
        // A digest stands for a value; guard's audit writes secrets this way.
        || lower.starts_with("sha256:")
        || lower.contains("dummy")
        // Words with spaces are prose ("My Admin API Key"), not a credential.
        || (secret.matches(' ').count() >= 2 && secret.chars().all(|c| c.is_alphabetic() || c == ' '))
        || lower.contains("redacted")
        || ENV_REFERENCE.is_match(secret)
        || secret.bytes().all(|b| b == secret.as_bytes()[0])
}

/// Whether a quote is followed by at least `len` characters of
/// `[A-Za-z0-9/+]`: the only texts the quote-delimited detector can match.
/// Those characters are base64 and a quote is not, so such a run starts a
/// base64 run (of `runs`) right after the quote.
fn has_quoted_run(bytes: &[u8], runs: &[(usize, usize)], len: usize) -> bool {
    debug_assert!(len >= MIN_RUN, "shorter runs are not in `runs`");
    let allowed = |b: &u8| b.is_ascii_alphanumeric() || *b == b'/' || *b == b'+';
    runs.iter().any(|&(start, end)| {
        end - start >= len
            && start > 0
            && matches!(bytes[start - 1], b'"' | b'\'')
            && bytes[start..start + len].iter().all(allowed)
    })
}

/// Whether a dot follows at least `len` ASCII alphanumerics. They are
/// base64 and a dot is not, so such a run ends a base64 run (of `runs`)
/// right before the dot.
fn has_run_before_dot(bytes: &[u8], runs: &[(usize, usize)], len: usize) -> bool {
    debug_assert!(len >= MIN_RUN, "shorter runs are not in `runs`");
    runs.iter().any(|&(start, end)| {
        end - start >= len
            && bytes.get(end) == Some(&b'.')
            && bytes[end - len..end].iter().all(u8::is_ascii_alphanumeric)
    })
}

/// Scans text for credentials.
///
/// ```
/// use guard_runtime::scan::SecretScanner;
///
/// let text = "export GITHUB_TOKEN=ghp_Zx8kQ2mN4pR7sT1vW3yB5dF6gH9jK0lM2nP4";
/// let findings = SecretScanner::global().scan(text);
/// assert_eq!(findings[0].kind, "github_pat");
/// assert_eq!(&text[findings[0].start..findings[0].end], "ghp_Zx8kQ2mN4pR7sT1vW3yB5dF6gH9jK0lM2nP4");
/// ```
pub struct SecretScanner {
    /// Keywords shorter than three bytes (`SK`), matched exactly on their
    /// own: in any case they would occur in most text.
    short_keywords: Vec<(memchr::memmem::Finder<'static>, u64)>,
    regexes: Vec<Regex>,
    /// The keyword-less detectors, each run only when its cheap shape test passes.
    quoted_only: usize,
    dotted_only: usize,
}

impl std::fmt::Debug for SecretScanner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretScanner")
            .field("detectors", &self.regexes.len())
            .finish()
    }
}

static GLOBAL: LazyLock<SecretScanner> = LazyLock::new(SecretScanner::build);

/// Room for the detectors in a `u64` of flags.
const MAX_DETECTORS: usize = 64;

/// The keywords the shared pass looks for on this scanner's behalf, in
/// lower case (the pass folds case), with the detector each enables.
pub(super) fn gate_literals() -> impl Iterator<Item = (String, Use)> {
    DETECTORS.iter().enumerate().flat_map(|(i, detector)| {
        detector
            .keywords
            .iter()
            .filter(|k| k.len() >= 3)
            .map(move |k| (k.to_ascii_lowercase(), Use::Secret(i)))
    })
}

impl SecretScanner {
    /// The shared scanner (compiled once, on first use).
    pub fn global() -> &'static SecretScanner {
        &GLOBAL
    }

    /// The ids of every detector.
    pub fn detector_ids() -> impl Iterator<Item = &'static str> {
        DETECTORS.iter().map(|d| d.id)
    }

    fn build() -> SecretScanner {
        assert!(DETECTORS.len() <= MAX_DETECTORS, "raise MAX_DETECTORS");
        // Every detector but the two gated by shape has keywords.
        for (i, detector) in DETECTORS.iter().enumerate() {
            assert!(
                !detector.keywords.is_empty()
                    || ["aws_secret_key_shaped", "discord_bot_token"].contains(&detector.id),
                "detector {i} needs keywords or a shape test"
            );
        }
        let mut short_keywords: Vec<(memchr::memmem::Finder<'static>, u64)> = Vec::new();
        for (i, detector) in DETECTORS.iter().enumerate() {
            for keyword in detector.keywords.iter().filter(|k| k.len() < 3) {
                match short_keywords
                    .iter_mut()
                    .find(|(finder, _)| finder.needle() == keyword.as_bytes())
                {
                    Some((_, detectors)) => *detectors |= 1 << i,
                    None => short_keywords.push((
                        memchr::memmem::Finder::new(keyword.as_bytes()).into_owned(),
                        1 << i,
                    )),
                }
            }
        }
        let regexes = DETECTORS
            .iter()
            .map(|d| {
                let pattern = if d.pattern.is_empty() {
                    generic_pattern()
                } else {
                    d.pattern.to_owned()
                };
                Regex::new(&pattern).unwrap_or_else(|e| panic!("detector {}: {e}", d.id))
            })
            .collect();
        SecretScanner {
            short_keywords,
            regexes,
            quoted_only: DETECTORS
                .iter()
                .position(|d| d.id == "aws_secret_key_shaped")
                .expect("the detector exists"),
            dotted_only: DETECTORS
                .iter()
                .position(|d| d.id == "discord_bot_token")
                .expect("the detector exists"),
        }
    }

    /// Every credential in the text, earliest first, overlaps resolved.
    pub fn scan(&self, text: &str) -> Vec<Finding> {
        let keywords = LITERALS.find_any_case(text.as_bytes()).secrets;
        self.scan_gated(text, keywords, &base64_runs(text.as_bytes()))
    }

    /// [`SecretScanner::scan`] given which detectors' keywords (of three
    /// bytes or more) occur in the text in any case, as bits, and the
    /// text's base64 runs.
    pub(super) fn scan_gated(
        &self,
        text: &str,
        keywords: u64,
        runs: &[(usize, usize)],
    ) -> Vec<Finding> {
        // Detectors as bits. Those without keywords run when their shape
        // test passes.
        let mut enabled = keywords;
        // The AWS-shaped secret is 40 base64 characters right after a quote.
        enabled |= u64::from(has_quoted_run(text.as_bytes(), runs, 40)) << self.quoted_only;
        // The Discord token starts with 24 or more alphanumerics and a dot.
        enabled |= u64::from(has_run_before_dot(text.as_bytes(), runs, 24)) << self.dotted_only;
        for (finder, detectors) in &self.short_keywords {
            if finder.find(text.as_bytes()).is_some() {
                enabled |= detectors;
            }
        }
        let mut findings: Vec<Finding> = Vec::new();
        // In detector order, so the generic rule (the last) comes last.
        while enabled != 0 {
            let i = enabled.trailing_zeros() as usize;
            enabled &= enabled - 1;
            let detector = &DETECTORS[i];
            // The generic rule runs last and only fills gaps: a specific
            // detector's name for a credential is the better one.
            let generic = i == DETECTORS.len() - 1;
            for captures in self.regexes[i].captures_iter(text) {
                // The secret is the first group that took part (quoted forms are alternatives).
                let m = (1..captures.len())
                    .find_map(|g| captures.get(g))
                    .or_else(|| captures.get(0))
                    .expect("group 0 always matches");
                let secret = m.as_str();
                if is_placeholder(secret) {
                    continue;
                }
                if detector.min_entropy > 0.0 && entropy(secret) < detector.min_entropy {
                    continue;
                }
                if generic
                    && findings
                        .iter()
                        .any(|f| f.start < m.end() && m.start() < f.end)
                {
                    continue;
                }
                findings.push(Finding::new(detector.id, m.start(), m.end()));
            }
        }
        dedup_overlaps(findings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<&'static str> {
        SecretScanner::global()
            .scan(text)
            .into_iter()
            .map(|f| f.kind)
            .collect()
    }

    #[test]
    fn every_detector_compiles_and_there_are_at_least_forty() {
        // Distinct ids include the shaped AWS secret key and comparisons.
        assert!(DETECTORS.len() >= 40, "{}", DETECTORS.len());
        let _ = SecretScanner::global();
        let mut ids: Vec<_> = SecretScanner::detector_ids().collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), DETECTORS.len(), "detector ids must be distinct");
    }

    /// One credential and one look-alike per detector (seeded, generated
    /// tokens; look-alikes are placeholders, public keys or near misses).
    const PER_DETECTOR: &[(&str, &str, &str)] = &[
        (
            "openai_api_key",
            "OPENAI_API_KEY=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",
            "OPENAI_API_KEY=sk-...T3BlbkFJ...",
        ),
        (
            "openai_project_key",
            "key=sk-proj-CfrL1spNxnyVmihA-2O76UMFxFkM-R5Kjp1vRt_1fjORS-6ilI8ihN5K",
            "key=sk-proj-REPLACE_ME",
        ),
        (
            "anthropic_api_key",
            "x-api-key: sk-ant-api03-XSc7Tvo-hBKqFYY-kv5ZJr3J1TWDtkwtDDb_xHKas1VOqg6YYZYn9ZhyiA4uoRgnatmUdjAWtGSU8po_799NksnRH9ucAAA",
            "x-api-key: sk-ant-api03-xxxx",
        ),
        (
            "aws_access_key",
            "id = AKIAXJBTFQXKWOVOMPZO",
            "id = AKIAIOSFODNN7EXAMPLE",
        ),
        (
            "aws_secret_key",
            "aws_secret_access_key = z+TddJ8HyS5SUkCnD8zRA9a9SkpXz9w3QlY7Zkuv",
            "aws_secret_access_key = ${AWS_SECRET_ACCESS_KEY}",
        ),
        (
            "aws_secret_key_shaped",
            "Client::new(\"ibjL5DZPjN0MEQ7wjJ/JibaZUPgHV+7iB3m03nbq\")",
            "commit \"3f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a\"",
        ),
        (
            "gcp_api_key",
            "key=AIzaBLEPH1qhT61qtc4xatws8phP9nhFyJfm5di",
            "key=AIzaXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
        ),
        (
            "gcp_service_account",
            "\"private_key_id\": \"ea68ef786e4d3cea27d26934b484e73cf575dcad\"",
            "\"private_key_id\": \"<key id>\"",
        ),
        (
            "azure_storage_key",
            "AccountKey=ZLajL7sJrerhCcSplyA5dTUrh4sUXIpC2ITPTP2nLY4dXdkliQgthSpxIoc+6AWt1YlCFno4UoYZXGefnGmU5A==",
            "AccountKey=<storage-key>",
        ),
        (
            "azure_sas_token",
            "https://a.blob.core.windows.net/c?sv=2022-11-02&ss=b&sig=GRlrwZbqcabUGJmGEp7CgQ0PBQFI14zGtSnovm14TUOi%3D",
            "https://a.blob.core.windows.net/c?sv=2022-11-02&sig=xxxx",
        ),
        (
            "azure_client_secret",
            "AZURE_CLIENT_SECRET=zwd8Q~qbjG3uhkW.KFLf6xuI5aHUQPFeNBTxaQWk",
            "AZURE_CLIENT_SECRET=<client secret>",
        ),
        (
            "github_pat",
            "token ghp_ErGPmpGXafq0fjzLczbttOofL9H2WjQ5TY4M",
            "token ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        ),
        (
            "github_oauth",
            "gho_yWuUFjsUNPjc01T5GOBUSZGi6HWGK10Zb0RL",
            "gho_short",
        ),
        (
            "github_app_token",
            "ghs_Z5TR9SPofbciOx9gy1CJdObOIRpFqaDZeV7G",
            "ghs_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        ),
        (
            "github_refresh_token",
            "ghr_5IfQHeVVEqZe2qpUWnoVPDF2yeE6RsXcNOPmeMjvqPVStNKiaEdFrRgSnRFsTHsDDDXh5Jmtf7Eb",
            "ghr_tooshort",
        ),
        (
            "github_fine_grained_pat",
            "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",
            "github_pat_placeholder",
        ),
        (
            "gitlab_pat",
            "glpat-jU2JgJngKtFI3OyV2dZA",
            "glpat-xxxxxxxxxxxxxxxxxxxx",
        ),
        (
            "gitlab_token",
            "glrt-kg05rK_gqv81RKMGHZEM9Ypv",
            "glrt-short",
        ),
        (
            "slack_bot_token",
            "xoxb-213878375762-833125815354-ZKm4bV3AyAVHnyrvWdFrK9xi",
            "xoxb-your-token",
        ),
        (
            "slack_user_token",
            "xoxp-883143667640-206797016877-313228171800-471948d33296c87009e8a7f770d9106f",
            "xoxp-xxxxxxxx",
        ),
        (
            "slack_app_token",
            "xapp-1-A2FQO3XO7CV-6563048137343-7e7893f57fd14c1604d115cea325a65e19cbae530282bd36cb9d21f6be6abf0d",
            "xapp-1-placeholder",
        ),
        (
            "slack_webhook",
            "https://hooks.slack.com/services/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",
            "https://hooks.slack.com/services/T000/B000/XXXX",
        ),
        (
            "stripe_secret_key",
            "sk_live_9D9XyYq6B0Fi7FlaZ7Vt0SXj",
            "pk_live_Mpu3uDxYYMfGmzWkpAePcEJI",
        ),
        (
            "twilio_api_key",
            "SKa5d328263dfe574de739988b886e7577",
            "SKXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
        ),
        (
            "sendgrid_api_key",
            "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",
            "SG.xxxxxxxxxxxxxxxxxxxxxx.yyyy",
        ),
        (
            "npm_token",
            "//registry.npmjs.org/:_authToken=npm_QtA9dtVK4wAAb3XZxPmzUzn8aB5kBh0fzK4x",
            "//registry.npmjs.org/:_authToken=${NPM_TOKEN}",
        ),
        (
            "pypi_token",
            "password = pypi-AgEIcHlwaS5vcmc6uqbgsYlVvsSKuvinX_zMqf9OgXluCZz8xBfZuXTptFyfePpX6N1NF2XV54w",
            "password = pypi-<token>",
        ),
        (
            "huggingface_token",
            "HF_TOKEN=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",
            "HF_TOKEN=hf_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        ),
        (
            "jwt",
            "Authorization: eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
            "eyJ is how every JWT header starts",
        ),
        (
            "rsa_private_key",
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----",
            "-----BEGIN RSA PUBLIC KEY-----\nMIIBCg\n-----END RSA PUBLIC KEY-----",
        ),
        (
            "ec_private_key",
            "-----BEGIN EC PRIVATE KEY-----\nMHcCAQ\n-----END EC PRIVATE KEY-----",
            "-----BEGIN PUBLIC KEY-----\nMFkwEw\n-----END PUBLIC KEY-----",
        ),
        (
            "dsa_private_key",
            "-----BEGIN DSA PRIVATE KEY-----\nMIIBug\n-----END DSA PRIVATE KEY-----",
            "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
        ),
        (
            "openssh_private_key",
            "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\n-----END OPENSSH PRIVATE KEY-----",
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl user@host",
        ),
        (
            "pgp_private_key",
            "-----BEGIN PGP PRIVATE KEY BLOCK-----\nlQdGBF\n-----END PGP PRIVATE KEY BLOCK-----",
            "-----BEGIN PGP PUBLIC KEY BLOCK-----\nmQINBF\n-----END PGP PUBLIC KEY BLOCK-----",
        ),
        (
            "private_key",
            "-----BEGIN PRIVATE KEY-----\nMIIEvQ\n-----END PRIVATE KEY-----",
            "-----BEGIN PUBLIC KEY-----\nMIIBIj\n-----END PUBLIC KEY-----",
        ),
        (
            "database_url_password",
            "DATABASE_URL=postgres://app:XUGfdWG5yP8Yib2e@db.internal:5432/app",
            "DATABASE_URL=postgres://app:password@localhost:5432/app",
        ),
        (
            "url_password",
            "proxy=https://svc:NUS0hmi4Fs9Z6YkR@proxy.example.com:8443",
            "see https://user@example.com/docs",
        ),
        (
            "discord_bot_token",
            "Me1wNWqku5Nr50DjqG96EnLqNG.EOVezx.ZuJPWvHogU5nGYVHWVsUQk4DwgLGNOaeCtL31U",
            "version 1.2.3 of discord.py",
        ),
        (
            "discord_webhook",
            "https://discord.com/api/webhooks/027390000954185836/MrAU8urbFt5misIZHbhS4-FvafhdZxEuhnbzs0z1wNiMg9aW37k5wCnHDepQHgI3HLBk",
            "https://discord.com/api/webhooks/<id>/<token>",
        ),
        (
            "telegram_bot_token",
            "bot8024332536:AAQEW88ad3DNBYjvsedonuSsddfrfifiUzi",
            "chat id 1234567890:AA",
        ),
        (
            "mailgun_api_key",
            "key-ygpnnhccfs4gignsuv1qbwqsdxu64sb0",
            "key-value store",
        ),
        (
            "mailchimp_api_key",
            "0d3bf16295d06910bf3f5fb85967f532-us14",
            "release 2.0-us14",
        ),
        (
            "shopify_token",
            "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",
            "shpat_placeholder",
        ),
        (
            "digitalocean_token",
            "dop_v1_ae7689447ab57a683536c4499d863386ce10cd79e048c07dd7753eda83d7c58d",
            "dop_v1_<token>",
        ),
        (
            "databricks_token",
            "dapife0d5a0cf318656b3e6f0bade65c3b18",
            "dapi is the API prefix",
        ),
        (
            "linear_api_key",
            "lin_api_ryzdaeA6AOSRwLqgotVz89HoZ9zDnki7XeZZOmEP",
            "lin_api_docs",
        ),
        (
            "postman_api_key",
            "PMAK-74bde94fb78c8d5f08b79aff-d2b49c12a4b0062983475eb46c5296f62e",
            "PMAK-xxxx",
        ),
        (
            "grafana_token",
            "glsa_Q4hJhqAo0iEFJdED5jSFpFkIM3Vak1uD_f9ebdd25",
            "glsa_<token>",
        ),
        (
            "newrelic_key",
            "NRAK-XBBCVG645JCN0IVGXV479NS1V1Q",
            "NRAK-XXXX",
        ),
        (
            "sentry_token",
            "sntrys_gLLT/ZQ=I=SA/pQyOMqlfZZgZMnafy8h=WskBf6wmxe1mbVrNHMx1eOc3g/f",
            "sntrys_<token>",
        ),
        (
            "vault_token",
            "VAULT_TOKEN=hvs.p1Z5ibXt80nk8Btb2abplBpq8cJF5xgUskL-6GgebhbkXNNv_hOV48vsoUu19X5IQLJhQbtN2FWXWD5KaPHI2ufKss",
            "VAULT_TOKEN=hvs.<token>",
        ),
        (
            "age_secret_key",
            "AGE-SECRET-KEY-13LK9LCVWNREADSQCA9KYWES57VVDV9TJHKEF0ZLHXHA9F5PK3PXZDLDS3M",
            "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p",
        ),
        (
            "groq_api_key",
            "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",
            "gsk_<key>",
        ),
        (
            "replicate_token",
            "r8_C2kx9pUolc8q8wd5J5b16dqYGTVPWEdgjuWa8",
            "r8_<token>",
        ),
        (
            "doppler_token",
            "dp.pt.mRVtLLCWPgEuxqyhxEykCpZj6R5aDT6mZck71oe7N3x",
            "dp.pt.<token>",
        ),
        (
            "bearer_token",
            "Authorization: Bearer r5mXcj5RPD9oUsQChx5s4tI10FtdILQvH.nO69ot",
            "Authorization: Bearer <token>",
        ),
        (
            "secret_comparison",
            "if (password == \"GdO5YQ7nJE1shqWm\") {",
            "if (password == \"\") {",
        ),
        (
            "generic_secret_assignment",
            "db_password = \"xBqp7pgysA5kd1Us\"",
            "db_password = \"${DB_PASSWORD}\"",
        ),
    ];

    #[test]
    fn every_detector_has_a_true_and_a_false_sample() {
        let mut covered: Vec<&str> = PER_DETECTOR.iter().map(|(id, _, _)| *id).collect();
        covered.sort_unstable();
        let mut all: Vec<&str> = SecretScanner::detector_ids().collect();
        all.sort_unstable();
        assert_eq!(covered, all, "each detector needs samples");
        for (id, positive, negative) in PER_DETECTOR {
            let found = kinds(positive);
            assert!(
                found.contains(id),
                "{id} missed {positive:?}: found {found:?}"
            );
            let found = kinds(negative);
            assert!(!found.contains(id), "{id} fired on {negative:?}");
        }
    }

    /// One true and one false sample per detector family (the false ones
    /// are placeholders, public ids or look-alikes).
    #[test]
    fn true_and_false_samples() {
        let cases: &[(&str, &str)] = &[
            (
                "OPENAI_API_KEY=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",
                "openai_api_key",
            ),
            (
                "key: sk-proj-Rt7yUi9oPa2sDf4gHj6kLz8xCv1bNm3qWe5rTy7uIo9pAs2dFg4hJk6lZx8cVb0nM1q",
                "openai_project_key",
            ),
            (
                "ANTHROPIC_API_KEY=sk-ant-api03-Xy9zAb8cDe7fGh6iJk5lMn4oPq3rSt2uVw1xYz0aBc9dEf8gHi7jKl6mNo5pQr4sTu3vWx2yZa1bCd0eFg9hIj8kLm7nOp6qRs5tUv4wXy3zAA",
                "anthropic_api_key",
            ),
            ("aws_access_key_id = AKIAQ3EGRT5HYX2ZK7PL", "aws_access_key"),
            (
                "aws_secret_access_key = \"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\"",
                "aws_secret_key",
            ),
            (
                "GOOGLE_API_KEY=AIzaSyD8f7Gh2Jk4Lm6Np8Qr0St2Uv4Wx6Yz8Ab1C",
                "gcp_api_key",
            ),
            (
                "\"private_key_id\": \"3f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a\"",
                "gcp_service_account",
            ),
            (
                "DefaultEndpointsProtocol=https;AccountName=x;AccountKey=BwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4/QEFCQ0RFRg==",
                "azure_storage_key",
            ),
            (
                "token ghp_Zx8kQ2mN4pR7sT1vW3yB5dF6gH9jK0lM2nP4",
                "github_pat",
            ),
            (
                "github_pat_11ABCDEFG0aBcDeFgHiJkL_mNoPqRsTuVwXyZ0123456789aBcDeFgHiJkLmNoPqRsTuVwXyZ012345678",
                "github_fine_grained_pat",
            ),
            ("GITLAB_TOKEN=glpat-Xk9mP2qR7sT4vW1yZ3bC", "gitlab_pat"),
            (
                "SLACK_BOT_TOKEN=xoxb-1234567890123-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
                "slack_bot_token",
            ),
            (
                "stripe.api_key = 'sk_live_4eC39HqLyjWDarjtT1zdp7dc9X2m'",
                "stripe_secret_key",
            ),
            (
                "SENDGRID_API_KEY=SG.aBcDeFgHiJkLmNoPqRsTuV.wXyZ0123456789aBcDeFgHiJkLmNoPqRsTuVwXyZ012",
                "sendgrid_api_key",
            ),
            (
                "//registry.npmjs.org/:_authToken=npm_aB3dE5gH7jK9mN1pQ3sT5vX7zA9cE1gI3kM5",
                "npm_token",
            ),
            (
                "HF_TOKEN=hf_AbCdEfGhIjKlMnOpQrStUvWxYzAbCdEfGh",
                "huggingface_token",
            ),
            (
                "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
                "jwt",
            ),
            (
                "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\n-----END RSA PRIVATE KEY-----",
                "rsa_private_key",
            ),
            (
                "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----",
                "openssh_private_key",
            ),
            (
                "DATABASE_URL=postgres://app:S3cr3tPa55w0rd@db.prod.internal:5432/app",
                "database_url_password",
            ),
            (
                "db_password = \"hX9#kL2$mQ7@pR4z\"",
                "generic_secret_assignment",
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(kinds(text), [*expected], "{text}");
        }
        let benign = [
            "AKIAIOSFODNN7EXAMPLE",
            "AKIAXXXXXXXXXXXXXXXX",
            "OPENAI_API_KEY=sk-...",
            "pk_live_51H8aBcDeFgHiJkLmNoPqRsTu",
            "commit 3f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a",
            "id: 123e4567-e89b-12d3-a456-426614174000",
            "integrity sha512-Xk9mP2qR7sT4vW1yZ3bC+aBcDeFgHiJkLmNoPq==",
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl user@host",
            "password = ${DB_PASSWORD}",
            "api_key: <your-api-key>",
            "token = \"changeme\"",
            "DATABASE_URL=postgres://user:password@localhost/db",
            "the secret to good bread is patience",
        ];
        for text in benign {
            assert!(kinds(text).is_empty(), "{text}: {:?}", kinds(text));
        }
    }
}
