//! The grammar of `#[secure_tool(...)]`: a comma-separated list of
//! `risk = "..."`, `confirm`, `rate = N`, `name = "..."`, `description = "..."`,
//! `timeout = "..."`, `sandbox` or `sandbox = "profile"`, and the lists
//! `roles`, `source`, `sink` (a string or an array of strings).
//! Every key may appear once; anything else is an error on its own span.

use proc_macro2::{Span, TokenStream};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, Lit, LitInt, LitStr, Meta, Token};

/// Risk levels, in the order the runtime compares them.
#[derive(Clone, Copy)]
pub(crate) enum Risk {
    Low,
    Medium,
    High,
    Critical,
}

impl Risk {
    pub(crate) fn variant(self) -> &'static str {
        match self {
            Risk::Low => "Low",
            Risk::Medium => "Medium",
            Risk::High => "High",
            Risk::Critical => "Critical",
        }
    }
}

/// The parsed attribute. Values keep their spans for the checks in `valid.rs`.
#[derive(Default)]
pub(crate) struct ToolAttr {
    pub risk: Option<Risk>,
    pub confirm: bool,
    pub rate: Option<(u32, Span)>,
    pub name: Option<LitStr>,
    pub description: Option<LitStr>,
    /// The duration text: the runtime's grammar reads it, at compile time.
    pub timeout: Option<LitStr>,
    /// Caller roles, one of which is needed.
    pub roles: Vec<String>,
    /// Data-flow labels of what the tool reads and where it sends data.
    pub sources: Vec<String>,
    pub sinks: Vec<String>,
    /// The sandbox profile the body runs under (`sandbox` alone: "default").
    pub sandbox: Option<String>,
}

const KEYS: &str = "`risk`, `confirm`, `rate`, `name`, `description`, `timeout`, `roles`, `source`, `sink`, `sandbox`";

/// Parses the attribute arguments, collecting every error rather than stopping at the first.
pub(crate) fn parse(args: TokenStream, errors: &mut Errors) -> ToolAttr {
    let mut attr = ToolAttr::default();
    let metas = match Punctuated::<Meta, Token![,]>::parse_terminated.parse2(args) {
        Ok(metas) => metas,
        Err(err) => {
            errors.push(err);
            return attr;
        }
    };
    let mut seen: Vec<String> = Vec::new();
    for meta in metas {
        let Some(key) = meta.path().get_ident().map(|ident| ident.to_string()) else {
            errors.push(syn::Error::new(
                meta.path().span(),
                format!("unknown key; expected one of {KEYS}"),
            ));
            continue;
        };
        if seen.contains(&key) {
            errors.push(syn::Error::new(
                meta.path().span(),
                format!("duplicate key `{key}`"),
            ));
            continue;
        }
        seen.push(key.clone());
        match key.as_str() {
            "confirm" => match &meta {
                Meta::Path(_) => attr.confirm = true,
                other => errors.push(syn::Error::new(
                    other.span(),
                    "`confirm` takes no value: write `confirm`",
                )),
            },
            "risk" => {
                if let Some(lit) = string_value(&meta, &key, errors) {
                    attr.risk = match lit.value().as_str() {
                        "low" => Some(Risk::Low),
                        "medium" => Some(Risk::Medium),
                        "high" => Some(Risk::High),
                        "critical" => Some(Risk::Critical),
                        _ => {
                            errors.push(syn::Error::new(
                                lit.span(),
                                "`risk` must be one of \"low\", \"medium\", \"high\", \"critical\"",
                            ));
                            None
                        }
                    }
                }
            }
            "rate" => {
                if let Some(lit) = int_value(&meta, &key, errors) {
                    match lit.base10_parse::<u32>() {
                        Ok(0) => errors.push(syn::Error::new(
                            lit.span(),
                            "`rate` must be at least 1 call per minute; remove the key for no limit",
                        )),
                        Ok(n) => attr.rate = Some((n, lit.span())),
                        Err(_) => errors.push(syn::Error::new(
                            lit.span(),
                            "`rate` must be a whole number of calls per minute (1 to 4294967295)",
                        )),
                    }
                }
            }
            "name" => attr.name = string_value(&meta, &key, errors),
            "description" => attr.description = string_value(&meta, &key, errors),
            // Read by `guard_runtime`'s one duration grammar when the
            // registration is compiled (see `expand.rs`).
            "timeout" => attr.timeout = string_value(&meta, &key, errors),
            "roles" => attr.roles = string_list(&meta, &key, errors),
            "source" => attr.sources = string_list(&meta, &key, errors),
            "sink" => attr.sinks = string_list(&meta, &key, errors),
            "sandbox" => match &meta {
                Meta::Path(_) => attr.sandbox = Some("default".to_owned()),
                Meta::NameValue(_) => {
                    if let Some(lit) = string_value(&meta, &key, errors) {
                        let name = lit.value();
                        if name.trim().is_empty() {
                            errors.push(syn::Error::new(
                                lit.span(),
                                "`sandbox` names a profile: write `sandbox` for the default one or `sandbox = \"name\"`",
                            ));
                        } else {
                            attr.sandbox = Some(name);
                        }
                    }
                }
                Meta::List(list) => errors.push(syn::Error::new(
                    list.span(),
                    "write `sandbox` or `sandbox = \"profile\"`; the profile's limits live in the policy or the builder",
                )),
            },
            _ => errors.push(syn::Error::new(
                meta.path().span(),
                format!("unknown key `{key}`; expected one of {KEYS}"),
            )),
        }
    }
    attr
}

/// `key = "a"` or `key = ["a", "b"]`: non-empty names, each once.
fn string_list(meta: &Meta, key: &str, errors: &mut Errors) -> Vec<String> {
    let items: Vec<&Expr> = match value(meta, key, "[\"...\"]", errors) {
        Some(Expr::Array(array)) => array.elems.iter().collect(),
        Some(other) => vec![other],
        None => return Vec::new(),
    };
    let mut names: Vec<String> = Vec::new();
    for item in items {
        match item {
            Expr::Lit(ExprLit {
                lit: Lit::Str(lit), ..
            }) => {
                let name = lit.value();
                if name.trim().is_empty() {
                    errors.push(syn::Error::new(
                        lit.span(),
                        format!("`{key}` names cannot be empty"),
                    ));
                } else if names.contains(&name) {
                    errors.push(syn::Error::new(
                        lit.span(),
                        format!("`{name}` is listed twice"),
                    ));
                } else {
                    names.push(name);
                }
            }
            other => errors.push(syn::Error::new(
                other.span(),
                format!("`{key}` takes a string literal or an array of them"),
            )),
        }
    }
    // `roles = []` would silently mean "nobody"; say what to write instead.
    if let Meta::NameValue(nv) = meta
        && let Expr::Array(array) = &nv.value
        && array.elems.is_empty()
    {
        errors.push(syn::Error::new(
            array.span(),
            format!("`{key}` needs at least one name; remove the key instead"),
        ));
    }
    names
}

fn value<'m>(meta: &'m Meta, key: &str, kind: &str, errors: &mut Errors) -> Option<&'m Expr> {
    match meta {
        Meta::NameValue(nv) => Some(&nv.value),
        other => {
            errors.push(syn::Error::new(
                other.span(),
                format!("`{key}` needs a value: write `{key} = {kind}`"),
            ));
            None
        }
    }
}

fn string_value(meta: &Meta, key: &str, errors: &mut Errors) -> Option<LitStr> {
    match value(meta, key, "\"...\"", errors)? {
        Expr::Lit(ExprLit {
            lit: Lit::Str(lit), ..
        }) => Some(lit.clone()),
        other => {
            errors.push(syn::Error::new(
                other.span(),
                format!("`{key}` takes a string literal"),
            ));
            None
        }
    }
}

fn int_value(meta: &Meta, key: &str, errors: &mut Errors) -> Option<LitInt> {
    match value(meta, key, "N", errors)? {
        Expr::Lit(ExprLit {
            lit: Lit::Int(lit), ..
        }) if lit.suffix().is_empty() => Some(lit.clone()),
        other => {
            errors.push(syn::Error::new(
                other.span(),
                format!("`{key}` takes an unsuffixed integer literal"),
            ));
            None
        }
    }
}

/// Collects errors so that all of them are reported at once (serde_derive's way).
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    pub(crate) fn push(&mut self, err: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(err),
            None => self.0 = Some(err),
        }
    }

    pub(crate) fn into_result(self) -> Result<(), syn::Error> {
        self.0.map_or(Ok(()), Err)
    }
}
