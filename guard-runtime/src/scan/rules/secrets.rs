//! The credential catalogue: what each detector looks for. Data only; the
//! engine that runs it is `scan/secrets/`.
//!
//! The formats are public facts (prefixes, lengths, alphabets) as providers
//! document them and as gitleaks' rule set (MIT) catalogues them. Three
//! kinds of rule:
//! - [`Rule::Regex`]: a hand-written pattern; group 1 (or the first group
//!   that took part) is the secret.
//! - [`Rule::Prefixed`]: a token with a fixed prefix and a fixed alphabet.
//! - [`Rule::Keyed`]: a value of a provider's shape assigned to a name that
//!   mentions the provider (`ASANA_SECRET=...`, `"datadog_key": "..."`):
//!   gitleaks' semi-generic rules.
//!
//! plus PEM private-key blocks ([`Rule::Pem`], read line by line) and the
//! generic `name = value` assignment ([`Rule::Assignment`]).

use crate::scan::literals::Use;

/// How a detector finds its secret.
pub(crate) enum Rule {
    Regex(&'static str),
    /// Any of the prefixes, then `min..=max` characters of the class.
    Prefixed {
        prefixes: &'static [&'static str],
        class: &'static str,
        min: usize,
        max: usize,
    },
    /// A name holding a keyword, an assignment, then the value.
    Keyed(Value),
    /// A PEM block whose label is one of the keywords.
    Pem,
    /// `secret_name = value`, with the placeholder model.
    Assignment,
}

/// The shape of a keyed value.
pub(crate) enum Value {
    /// `min..=max` characters of a regex class body (`a-z0-9`).
    Class(&'static str, usize, usize),
    /// A UUID in any case.
    Uuid,
    /// A regex fragment, with one sample for the tests.
    Pattern(
        &'static str,
        #[cfg_attr(not(test), allow(dead_code))] &'static str,
    ),
}

pub(crate) struct Detector {
    pub id: &'static str,
    /// Literals one of which must occur (in any case when three bytes or
    /// longer, exactly otherwise) before the detector runs.
    pub keywords: &'static [&'static str],
    pub rule: Rule,
    /// Minimum Shannon entropy (bits/char) of the secret; 0 for none.
    pub min_entropy: f64,
    /// Literals of which one must also occur, exactly (a comparison needs
    /// its operator); none for most detectors.
    pub requires: &'static [&'static str],
}

impl Detector {
    /// This detector, run only where one of `literals` occurs too.
    const fn requiring(mut self, literals: &'static [&'static str]) -> Detector {
        self.requires = literals;
        self
    }
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
        rule: Rule::Regex(pattern),
        min_entropy,
        requires: &[],
    }
}

const fn pem(id: &'static str, labels: &'static [&'static str]) -> Detector {
    Detector {
        id,
        keywords: labels,
        rule: Rule::Pem,
        min_entropy: 0.0,
        requires: &[],
    }
}

/// A prefixed token; the prefixes are its keywords.
const fn p(
    id: &'static str,
    prefixes: &'static [&'static str],
    class: &'static str,
    min: usize,
    max: usize,
) -> Detector {
    Detector {
        id,
        keywords: prefixes,
        rule: Rule::Prefixed {
            prefixes,
            class,
            min,
            max,
        },
        min_entropy: if max < 16 { 2.5 } else { 3.0 },
        requires: &[],
    }
}

/// A provider's value assigned to a name mentioning it.
const fn k(id: &'static str, names: &'static [&'static str], value: Value) -> Detector {
    Detector {
        id,
        keywords: names,
        rule: Rule::Keyed(value),
        min_entropy: 3.0,
        requires: &[],
    }
}

const fn class(class: &'static str, min: usize, max: usize) -> Value {
    Value::Class(class, min, max)
}

/// Key-like names that introduce a secret in `name = value` assignments.
pub(crate) const SECRET_NAMES: &str = r"(?:password|passwd|pass|pwd|secret|secret_key|api_?key|apikey|access_?key|access_?token|auth_?token|private_?key|client_?secret|token|credentials?)";

/// Hand-written detectors whose tokens start with a fixed prefix: a key of
/// theirs split by a space or a line break is rejoined and read again
/// (every [`Rule::Prefixed`] detector is too).
pub(crate) const PREFIX_TOKENS: &[&str] = &[
    "openai_api_key",
    "openai_project_key",
    "anthropic_api_key",
    "aws_access_key",
    "gcp_api_key",
    "github_pat",
    "github_oauth",
    "github_app_token",
    "github_refresh_token",
    "github_fine_grained_pat",
    "gitlab_pat",
    "gitlab_token",
    "slack_bot_token",
    "slack_user_token",
    "slack_app_token",
    "stripe_secret_key",
    "sendgrid_api_key",
    "npm_token",
    "pypi_token",
    "huggingface_token",
    "shopify_token",
    "digitalocean_token",
    "databricks_token",
    "linear_api_key",
    "postman_api_key",
    "grafana_token",
    "newrelic_key",
    "sentry_token",
    "vault_token",
    "age_secret_key",
    "groq_api_key",
    "replicate_token",
    "doppler_token",
    "notion_api_token",
    "sendinblue_api_token",
    "sourcegraph_access_token",
];

/// Every detector. The assignment rule comes last: it only fills gaps
/// the specific detectors left.
pub(crate) static DETECTORS: &[Detector] = &[
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
    pem("rsa_private_key", &["BEGIN RSA PRIVATE KEY"]),
    pem("ec_private_key", &["BEGIN EC PRIVATE KEY"]),
    pem("dsa_private_key", &["BEGIN DSA PRIVATE KEY"]),
    pem("openssh_private_key", &["BEGIN OPENSSH PRIVATE KEY"]),
    pem("pgp_private_key", &["BEGIN PGP PRIVATE KEY BLOCK"]),
    pem(
        "private_key",
        &["BEGIN PRIVATE KEY", "BEGIN ENCRYPTED PRIVATE KEY"],
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
    )
    .requiring(&["==", "!="]),
    // Azure AD client secrets: three characters, a digit, `Q~`, then 31-34.
    d(
        "azure_client_secret",
        &["Q~"],
        r#"(?:^|[\x27"\x60\s>=:(,])([A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.-]{31,34})(?:$|[\x27"\x60\s<),;])"#,
        3.0,
    ),
    // Credentials in URLs, command lines and HTTP headers.
    d(
        "curl_basic_auth",
        &["curl"],
        r#"\bcurl\b[ -~\t]{0,200}?\s(?:-u|--user)(?:\s+|=)?['"]?[^\s'":]{1,64}:([^\s'"]{3,})"#,
        2.5,
    ),
    d(
        "authorization_basic",
        &["basic"],
        r#"(?i)\bauthorization['"]?\s*[:=]\s*['"]?basic\s+([A-Za-z0-9+/]{8,}={0,2})"#,
        2.5,
    ),
    d(
        "authorization_token",
        &["authorization"],
        r#"(?i)\bauthorization['"]?\s*[:=]\s*['"]?(?:token|apikey|api-key|key|sso-key|ssws|klaviyo-api-key)\s+([A-Za-z0-9._~+/:-]{16,}=*)"#,
        3.0,
    ),
    d(
        "api_key_header",
        &["api-key", "apikey", "-token"],
        r#"(?i)\b(?:x-api-key|api-key|x-apikey|apikey|x-auth-token|x-access-token|private-token|x-api-token)['"]?\s*:\s*['"]?([A-Za-z0-9._~+/-]{16,}=*)"#,
        3.0,
    ),
    d(
        "cli_password",
        &["mysql", "mariadb", "sshpass", "--password", "-pass"],
        r#"(?:\b(?:mysql|mariadb|mysqldump|mysqladmin|mariadb-dump)\b[ -~\t]{0,200}?\s-p([^\s'"\-][^\s'"]{3,})|\bsshpass\s+-p\s*['"]?([^\s'"]{4,})|\s--password[= ]['"]?([^\s'"-][^\s'"]{3,})|\s-pass\s+pass:([^\s'"]{4,}))"#,
        2.5,
    ),
    // Prefixed tokens.
    p("alibaba_access_key", &["LTAI"], "A-Za-z0-9", 20, 20),
    p(
        "atlassian_api_token_v2",
        &["ATATT3"],
        "A-Za-z0-9_=-",
        186,
        186,
    ),
    p("clojars_api_token", &["CLOJARS_"], "a-z0-9", 60, 60),
    p(
        "duffel_api_token",
        &["duffel_test_", "duffel_live_"],
        "a-zA-Z0-9_=-",
        43,
        43,
    ),
    p("easypost_api_token", &["EZAK"], "a-zA-Z0-9", 54, 54),
    p("easypost_test_token", &["EZTK"], "a-zA-Z0-9", 54, 54),
    p(
        "facebook_page_token",
        &["EAAM", "EAAC"],
        "a-zA-Z0-9",
        100,
        300,
    ),
    p("frameio_api_token", &["fio-u-"], "a-zA-Z0-9=_-", 64, 64),
    p("heroku_api_key_v2", &["HRKU-AA"], "0-9a-zA-Z_-", 58, 58),
    p("huggingface_org_token", &["api_org_"], "a-zA-Z", 34, 34),
    p("infracost_api_token", &["ico-"], "a-zA-Z0-9", 32, 32),
    p("mailgun_public_key", &["pubkey-"], "a-f0-9", 32, 32),
    p("new_relic_browser_key", &["NRJS-"], "a-f0-9", 19, 19),
    p("new_relic_insert_key", &["NRII-"], "a-zA-Z0-9-", 32, 32),
    p("nuget_api_key", &["oy2"], "a-z0-9", 43, 43),
    p("octopus_deploy_api_key", &["API-"], "A-Z0-9", 26, 26),
    p("openshift_user_token", &["sha256~"], "A-Za-z0-9_-", 43, 43),
    p("perplexity_api_key", &["pplx-"], "a-zA-Z0-9", 48, 48),
    p(
        "planetscale_password",
        &["pscale_pw_"],
        "a-zA-Z0-9=._-",
        32,
        64,
    ),
    p(
        "planetscale_api_token",
        &["pscale_tkn_"],
        "a-zA-Z0-9=._-",
        32,
        64,
    ),
    p(
        "planetscale_oauth_token",
        &["pscale_oauth_"],
        "a-zA-Z0-9=._-",
        32,
        64,
    ),
    p("prefect_api_token", &["pnu_"], "a-zA-Z0-9", 36, 36),
    p("pulumi_api_token", &["pul-"], "a-f0-9", 40, 40),
    p("readme_api_token", &["rdme_"], "a-z0-9", 70, 70),
    p("rubygems_api_token", &["rubygems_"], "a-f0-9", 48, 48),
    p("scalingo_api_token", &["tk-us-"], "a-zA-Z0-9_-", 48, 48),
    p(
        "settlemint_token",
        &["sm_pat_", "sm_aat_", "sm_sat_"],
        "a-zA-Z0-9",
        16,
        16,
    ),
    p(
        "shippo_api_token",
        &["shippo_live_", "shippo_test_"],
        "a-fA-F0-9",
        40,
        40,
    ),
    p("square_access_token", &["EAAA"], "A-Za-z0-9_-", 60, 60),
    p("square_secret", &["sq0csp-"], "A-Za-z0-9_-", 43, 43),
    p("square_oauth_token", &["sq0atp-"], "A-Za-z0-9_-", 22, 22),
    p("typeform_api_token", &["tfp_"], "a-zA-Z0-9_.=-", 59, 59),
    p("yandex_api_key", &["AQVN"], "A-Za-z0-9_-", 35, 38),
    p("yandex_aws_access_token", &["YC"], "a-zA-Z0-9_-", 38, 38),
    p(
        "onepassword_service_token",
        &["ops_eyJ"],
        "a-zA-Z0-9+/=",
        250,
        1200,
    ),
    p("artifactory_api_key", &["AKCp"], "A-Za-z0-9", 69, 69),
    p(
        "artifactory_reference_token",
        &["cmVmd"],
        "A-Za-z0-9",
        59,
        59,
    ),
    p("clickhouse_cloud_key", &["4b1d"], "A-Za-z0-9", 38, 38),
    p("fly_io_token", &["fo1_"], "A-Za-z0-9_-", 43, 43),
    p(
        "gitlab_runner_registration_token",
        &["GR1348941"],
        "A-Za-z0-9_-",
        20,
        20,
    ),
    p(
        "google_oauth_client_secret",
        &["GOCSPX-"],
        "A-Za-z0-9_-",
        28,
        28,
    ),
    p(
        "google_oauth_access_token",
        &["ya29."],
        "0-9A-Za-z_-",
        30,
        2048,
    ),
    p("supabase_access_token", &["sbp_"], "a-f0-9", 40, 40),
    p("buildkite_token", &["bkua_"], "a-f0-9", 40, 40),
    p("xai_api_key", &["xai-"], "a-zA-Z0-9", 80, 80),
    p("openrouter_api_key", &["sk-or-v1-"], "a-f0-9", 64, 64),
    p("stripe_webhook_secret", &["whsec_"], "a-zA-Z0-9", 32, 64),
    p("aws_bedrock_api_key", &["ABSK"], "A-Za-z0-9+/=", 109, 269),
    p(
        "dropbox_short_lived_token",
        &["sl."],
        "A-Za-z0-9=_-",
        135,
        135,
    ),
    p("mapbox_secret_token", &["sk.eyJ"], "A-Za-z0-9._-", 80, 120),
    p("pinecone_api_key", &["pcsk_"], "A-Za-z0-9_", 60, 80),
    p("notion_legacy_token", &["secret_"], "A-Za-z0-9", 43, 43),
    p("deno_deploy_token", &["ddp_", "ddw_"], "A-Za-z0-9", 36, 36),
    p("dockerhub_token", &["dckr_pat_"], "A-Za-z0-9_-", 27, 27),
    p("render_api_key", &["rnd_"], "A-Za-z0-9", 32, 32),
    // Prefixed tokens with an inner structure.
    d(
        "airtable_pat",
        &["pat"],
        r"\b(pat[A-Za-z0-9]{14}\.[a-f0-9]{64})\b",
        3.0,
    ),
    d(
        "cloudflare_origin_ca_key",
        &["v1.0-"],
        r"\b(v1\.0-[a-f0-9]{24}-[a-f0-9]{146})\b",
        3.0,
    ),
    d(
        "defined_networking_token",
        &["dnkey-"],
        r"\b(dnkey-[a-z0-9=_-]{26}-[a-z0-9=_-]{52})",
        3.0,
    ),
    d(
        "dynatrace_api_token",
        &["dt0c01."],
        r"\b(dt0c01\.[A-Z0-9]{24}\.[A-Z0-9]{64})\b",
        3.0,
    ),
    d(
        "flutterwave_secret_key",
        &["FLWSECK"],
        r"\b(FLWSECK(?:_TEST)?-[a-h0-9]{32}-X)",
        3.0,
    ),
    d(
        "flutterwave_encryption_key",
        &["FLWSECK"],
        r"\b(FLWSECK(?:_TEST)?[a-h0-9]{12})\b",
        2.5,
    ),
    d(
        "harness_api_token",
        &["pat.", "sat."],
        r"\b((?:pat|sat)\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{20})\b",
        3.0,
    ),
    d(
        "terraform_api_token",
        &["atlasv1"],
        r"\b([a-z0-9]{14}\.atlasv1\.[a-z0-9=_-]{60,70})",
        3.0,
    ),
    d(
        "intra42_client_secret",
        &["s-s4t2"],
        r"\b(s-s4t2(?:ud|af)-[a-f0-9]{64})\b",
        3.0,
    ),
    d(
        "microsoft_teams_webhook",
        &["webhook.office.com"],
        r"(https://[a-z0-9]+\.webhook\.office\.com/webhookb2/[a-z0-9-]{36}@[a-z0-9-]{36}/IncomingWebhook/[a-z0-9]{32}/[a-z0-9-]{36})",
        3.0,
    ),
    d(
        "notion_api_token",
        &["ntn_"],
        r"\b(ntn_[0-9]{11}[A-Za-z0-9]{35})\b",
        3.0,
    ),
    d(
        "sendinblue_api_token",
        &["xkeysib-"],
        r"\b(xkeysib-[a-f0-9]{64}-[a-zA-Z0-9]{16})\b",
        3.0,
    ),
    d(
        "sourcegraph_access_token",
        &["sgp_"],
        r"\b(sgp_(?:[a-fA-F0-9]{16}_|local_)?[a-fA-F0-9]{40})\b",
        3.0,
    ),
    d(
        "yandex_access_token",
        &["t1."],
        r"\b(t1\.[A-Za-z0-9_-]+={0,2}\.[A-Za-z0-9_-]{86}={0,2})",
        3.0,
    ),
    d(
        "onepassword_secret_key",
        &["A3-"],
        r"\b(A3-[A-Z0-9]{6}-(?:[A-Z0-9]{11}|[A-Z0-9]{6}-[A-Z0-9]{5})-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5})\b",
        3.0,
    ),
    d(
        "fly_io_macaroon",
        &["FlyV1 "],
        r"(FlyV1 fm\d+_[A-Za-z0-9+/=,_-]{100,})",
        3.0,
    ),
    d(
        "gitlab_session_cookie",
        &["_gitlab_session="],
        r"_gitlab_session=([0-9a-z]{32})\b",
        3.0,
    ),
    d(
        "google_refresh_token",
        &["1//0"],
        r"\b(1//0[0-9A-Za-z_-]{30,})",
        3.0,
    ),
    d(
        "tailscale_key",
        &["tskey-"],
        r"\b(tskey-(?:api|auth|client|scim|webhook)-[A-Za-z0-9]{6,}-[A-Za-z0-9]{20,})",
        3.0,
    ),
    d(
        "langsmith_api_key",
        &["lsv2_"],
        r"\b(lsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10})\b",
        3.0,
    ),
    d(
        "circleci_personal_token",
        &["CCIPAT_"],
        r"\b(CCIPAT_[A-Za-z0-9]{22}_[a-f0-9]{40})\b",
        3.0,
    ),
    d(
        "maxmind_license_key",
        &["_mmk"],
        r"\b([A-Za-z0-9]{6}_[A-Za-z0-9]{29}_mmk)\b",
        3.0,
    ),
    d(
        "grafana_api_key",
        &["eyJrIjoi"],
        r"\b(eyJrIjoi[A-Za-z0-9]{70,}={0,2})",
        3.0,
    ),
    d(
        "new_relic_license_key",
        &["NRAL"],
        r"\b([a-f0-9]{36}NRAL)\b",
        3.0,
    ),
    d(
        "twitter_bearer_token",
        &["AAAAAAAAAAAAAAAAAAAAAA"],
        r"\b(A{22}[A-Za-z0-9%]{80,100})",
        3.0,
    ),
    d(
        "sidekiq_secret",
        &["contribsys"],
        r#"(?i:BUNDLE_ENTERPRISE__CONTRIBSYS__COM|BUNDLE_GEMS__CONTRIBSYS__COM)['"]?\s*[=:]\s*['"]?([a-f0-9]{8}:[a-f0-9]{8})\b"#,
        2.5,
    ),
    d(
        "beamer_api_token",
        &["beamer"],
        r#"(?i:beamer)[\w.-]{0,20}['"]?\s*(?:=|:|=>)\s*['"]?(b_[A-Za-z0-9=_-]{44})"#,
        3.0,
    ),
    d(
        "lob_api_key",
        &["lob"],
        r#"(?i:\blob)[\w.-]{0,20}['"]?\s*(?:=|:|=>)\s*['"]?((?:live|test)_[a-f0-9]{35})\b"#,
        3.0,
    ),
    d(
        "okta_access_token",
        &["okta"],
        r#"(?i:okta)[\w.-]{0,20}['"]?\s*(?:=|:|=>)\s*['"]?(00[A-Za-z0-9=_-]{40})"#,
        3.0,
    ),
    d(
        "mailgun_signing_key",
        &["mailgun"],
        r#"(?i:mailgun)[\w.-]{0,20}['"]?\s*(?:=|:|=>)\s*['"]?([a-h0-9]{32}-[a-h0-9]{8}-[a-h0-9]{8})\b"#,
        3.0,
    ),
    d(
        "gocardless_api_token",
        &["gocardless"],
        r#"(?i:gocardless)[\w.-]{0,20}['"]?\s*(?:=|:|=>)\s*['"]?(live_[A-Za-z0-9_=-]{40})"#,
        3.0,
    ),
    d(
        "mapbox_api_token",
        &["mapbox"],
        r#"(?i:mapbox)[\w.-]{0,20}['"]?\s*(?:=|:|=>)\s*['"]?(pk\.[a-z0-9]{60}\.[a-z0-9]{22})\b"#,
        3.0,
    ),
    d(
        "sonar_api_token",
        &["sonar"],
        r#"(?i:sonar)[\w.-]{0,20}['"]?\s*(?:=|:|=>)\s*['"]?((?:squ_|sqp_|sqa_)?[a-z0-9=_-]{40})\b"#,
        3.0,
    ),
    d(
        "twitter_access_token",
        &["twitter"],
        r#"(?i:twitter)[\w.-]{0,20}['"]?\s*(?:=|:|=>)\s*['"]?([0-9]{15,25}-[a-zA-Z0-9]{20,40})\b"#,
        3.0,
    ),
    d(
        "deepseek_api_key",
        &["deepseek"],
        r#"(?i:deepseek)[\w.-]{0,20}['"]?\s*(?:=|:|=>)\s*['"]?(sk-[a-f0-9]{32})\b"#,
        3.0,
    ),
    // Provider values assigned to a name that mentions the provider.
    k("adafruit_api_key", &["adafruit"], class("a-z0-9_-", 32, 32)),
    k("adobe_client_secret", &["adobe"], class("a-f0-9", 32, 32)),
    k(
        "alibaba_secret_key",
        &["alibaba"],
        class("a-zA-Z0-9", 30, 30),
    ),
    k("algolia_api_key", &["algolia"], class("a-z0-9", 32, 32)),
    k("asana_client_secret", &["asana"], class("a-z0-9", 32, 32)),
    k(
        "atlassian_api_token",
        &["atlassian", "confluence", "jira"],
        class("a-zA-Z0-9", 24, 24),
    ),
    k(
        "aws_session_token",
        &["aws_session_token", "aws-session-token"],
        class("A-Za-z0-9/+=", 100, 1200),
    ),
    k(
        "bitbucket_client_secret",
        &["bitbucket"],
        class("a-zA-Z0-9=_-", 64, 64),
    ),
    k("bittrex_api_key", &["bittrex"], class("a-z0-9", 32, 32)),
    k(
        "circleci_api_token",
        &["circleci", "circle_token"],
        class("a-f0-9", 40, 40),
    ),
    k(
        "cloudflare_api_token",
        &["cloudflare"],
        class("a-zA-Z0-9_-", 40, 40),
    ),
    k(
        "cloudflare_global_api_key",
        &["cloudflare"],
        class("a-f0-9", 37, 37),
    ),
    k(
        "codecov_access_token",
        &["codecov"],
        class("a-z0-9", 32, 32),
    ),
    k(
        "cohere_api_key",
        &["cohere", "co_api_key"],
        class("a-zA-Z0-9", 40, 40),
    ),
    k(
        "coinbase_access_token",
        &["coinbase"],
        class("a-zA-Z0-9_-", 64, 64),
    ),
    k(
        "confluent_secret_key",
        &["confluent"],
        class("a-zA-Z0-9", 64, 64),
    ),
    k(
        "contentful_delivery_token",
        &["contentful"],
        class("a-zA-Z0-9=_-", 43, 43),
    ),
    k(
        "datadog_access_token",
        &["datadog"],
        class("a-z0-9", 40, 40),
    ),
    k(
        "discord_client_secret",
        &["discord"],
        class("a-zA-Z0-9=_-", 32, 32),
    ),
    k(
        "droneci_access_token",
        &["droneci"],
        class("a-z0-9", 32, 32),
    ),
    k("dropbox_api_token", &["dropbox"], class("a-z0-9", 15, 15)),
    k("etsy_access_token", &["etsy"], class("a-z0-9", 24, 24)),
    k("facebook_secret", &["facebook"], class("a-f0-9", 32, 32)),
    k(
        "fastly_api_token",
        &["fastly"],
        class("a-zA-Z0-9=_-", 32, 32),
    ),
    k(
        "finicity_client_secret",
        &["finicity"],
        class("a-z0-9", 20, 20),
    ),
    k(
        "finnhub_access_token",
        &["finnhub"],
        class("a-z0-9", 20, 20),
    ),
    k("flickr_access_token", &["flickr"], class("a-z0-9", 32, 32)),
    k(
        "freshbooks_access_token",
        &["freshbooks"],
        class("a-z0-9", 64, 64),
    ),
    k(
        "gitter_access_token",
        &["gitter"],
        class("a-z0-9_-", 40, 40),
    ),
    k("heroku_api_key", &["heroku"], Value::Uuid),
    k("hubspot_api_key", &["hubspot"], Value::Uuid),
    k(
        "intercom_api_key",
        &["intercom"],
        class("a-zA-Z0-9=_-", 60, 60),
    ),
    k(
        "jfrog_api_key",
        &["jfrog", "artifactory", "bintray", "xray"],
        class("a-z0-9", 73, 73),
    ),
    k(
        "jfrog_identity_token",
        &["jfrog", "artifactory", "bintray", "xray"],
        class("a-z0-9", 64, 64),
    ),
    k(
        "kraken_access_token",
        &["kraken"],
        class("a-zA-Z0-9/=_+-", 80, 90),
    ),
    k("kucoin_access_token", &["kucoin"], class("a-f0-9", 24, 24)),
    k("kucoin_secret_key", &["kucoin"], Value::Uuid),
    k(
        "launchdarkly_access_token",
        &["launchdarkly"],
        class("a-zA-Z0-9=_-", 40, 40),
    ),
    k("linear_client_secret", &["linear"], class("a-f0-9", 32, 32)),
    k(
        "linkedin_client_secret",
        &["linkedin", "linked-in"],
        class("a-z0-9", 16, 16),
    ),
    k("looker_client_secret", &["looker"], class("a-z0-9", 24, 24)),
    k(
        "mattermost_access_token",
        &["mattermost"],
        class("a-z0-9", 26, 26),
    ),
    k(
        "messagebird_api_token",
        &["messagebird", "message-bird", "message_bird"],
        class("a-z0-9", 25, 25),
    ),
    k("mistral_api_key", &["mistral"], class("a-zA-Z0-9", 32, 32)),
    k(
        "netlify_access_token",
        &["netlify"],
        class("a-zA-Z0-9=_-", 40, 46),
    ),
    k(
        "nytimes_access_token",
        &["nytimes", "new-york-times", "newyorktimes"],
        class("a-zA-Z0-9=_-", 32, 32),
    ),
    k(
        "pagerduty_api_key",
        &["pagerduty"],
        class("a-zA-Z0-9_+-", 20, 20),
    ),
    k("plaid_secret_key", &["plaid"], class("a-z0-9", 30, 30)),
    k(
        "rapidapi_access_token",
        &["rapidapi"],
        class("a-zA-Z0-9_-", 50, 50),
    ),
    k(
        "sendbird_access_token",
        &["sendbird"],
        class("a-f0-9", 40, 40),
    ),
    k("sentry_access_token", &["sentry"], class("a-f0-9", 64, 64)),
    k("snyk_api_token", &["snyk"], Value::Uuid),
    k("squarespace_access_token", &["squarespace"], Value::Uuid),
    k(
        "sumologic_access_token",
        &["sumo"],
        class("a-zA-Z0-9", 64, 64),
    ),
    k(
        "travisci_access_token",
        &["travis"],
        class("a-z0-9", 22, 22),
    ),
    k(
        "trello_access_token",
        &["trello"],
        class("a-zA-Z0-9", 32, 32),
    ),
    k("twitch_api_token", &["twitch"], class("a-z0-9", 30, 30)),
    k("twitter_api_key", &["twitter"], class("a-zA-Z0-9", 25, 25)),
    k(
        "twitter_api_secret",
        &["twitter"],
        class("a-zA-Z0-9", 50, 50),
    ),
    k("vercel_token", &["vercel"], class("a-zA-Z0-9", 24, 24)),
    k(
        "zendesk_secret_key",
        &["zendesk"],
        class("a-zA-Z0-9", 40, 40),
    ),
    k(
        "plaid_access_token",
        &["plaid"],
        Value::Pattern(
            "access-(?:sandbox|development|production)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
            "access-production-2f9a3c1e-7b4d-4e8f-9a1b-3c5d7e9f1a2b",
        ),
    ),
    k(
        "azure_openai_key",
        &["azure_openai", "azure-openai", "azureopenai"],
        class("a-f0-9", 32, 32),
    ),
    k(
        "openai_admin_like_key",
        &["openai"],
        Value::Pattern(
            "sk-[A-Za-z0-9]{48}",
            "sk-Q7vR2mX9kL4pT8wB3nF6hJ1cY5dG0sZ7aE2uK9iO4qW1xN8v",
        ),
    ),
    k(
        "elastic_api_key",
        &["elastic"],
        class("a-zA-Z0-9=_-", 40, 100),
    ),
    k(
        "mongodb_atlas_private_key",
        &["atlas_private", "mongodb_atlas"],
        Value::Uuid,
    ),
    k("pusher_secret", &["pusher"], class("a-f0-9", 20, 20)),
    k(
        "segment_write_key",
        &["segment"],
        class("a-zA-Z0-9", 32, 32),
    ),
    k(
        "mixpanel_api_secret",
        &["mixpanel"],
        class("a-f0-9", 32, 32),
    ),
    k(
        "openweathermap_api_key",
        &["openweather"],
        class("a-f0-9", 32, 32),
    ),
    k("shodan_api_key", &["shodan"], class("a-zA-Z0-9", 32, 32)),
    k(
        "virustotal_api_key",
        &["virustotal"],
        class("a-f0-9", 64, 64),
    ),
    k("newsapi_key", &["newsapi"], class("a-f0-9", 32, 32)),
    k("bitly_access_token", &["bitly"], class("a-f0-9", 40, 40)),
    Detector {
        id: "generic_secret_assignment",
        keywords: &["pass", "pwd", "secret", "key", "token", "credential"],
        rule: Rule::Assignment,
        min_entropy: 3.2,
        requires: &[],
    },
];

/// The gate literals of the credential detectors, for the shared pass; the
/// generic assignment's keywords also say where it reads.
pub(crate) fn gate_literals() -> impl Iterator<Item = (String, Use)> {
    DETECTORS.iter().enumerate().flat_map(|(i, detector)| {
        let names = matches!(detector.rule, Rule::Assignment);
        detector
            .keywords
            .iter()
            .filter(|k| k.len() >= 3)
            .flat_map(move |k| {
                let k = k.to_ascii_lowercase();
                let name = names.then(|| (k.clone(), Use::SecretName));
                std::iter::once((k, Use::Secret(i))).chain(name)
            })
    })
}
