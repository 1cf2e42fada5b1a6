//! The grammar of `#[arg(...)]` on a tool parameter:
//! `none`, or one validator with its options —
//! `path(exists, ext = [..], deny = [..])`, `url(schemes = [..], hosts = [..],
//! ports = [..], resolve)`, `sql(dialect = "..", tables = [..], functions = [..], write = [..])`,
//! `command(programs = [..], options(prog = [..]))`, `shell_arg`; or
//! `resource = "Type"`: the argument names the Cedar resource of the call
//! (its validator, if its name implies one, still applies).

use proc_macro2::Span;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Attribute, Expr, ExprArray, ExprLit, Lit, LitStr, Meta, Token};

use crate::attr::Errors;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Path,
    Url,
    Sql,
    Command,
    ShellArg,
}

impl Kind {
    /// The marker type in `guard_runtime::validate::kinds`.
    pub(crate) fn marker(self) -> &'static str {
        match self {
            Kind::Path => "Path",
            Kind::Url => "Url",
            Kind::Sql => "Sql",
            Kind::Command => "Command",
            Kind::ShellArg => "ShellArg",
        }
    }
}

/// A validator and its options, as written.
pub(crate) struct Validator {
    pub kind: Kind,
    pub exists: bool,
    pub resolve: bool,
    pub ext: Vec<String>,
    pub deny: Vec<String>,
    pub schemes: Vec<String>,
    pub hosts: Vec<String>,
    pub ports: Vec<u16>,
    pub tables: Vec<String>,
    pub functions: Vec<String>,
    pub write: Vec<String>,
    /// Checked against the runtime's list of dialects when the
    /// registration is compiled (see `expand.rs`).
    pub dialect: Option<LitStr>,
    pub programs: Vec<String>,
    /// `options(wc = ["-l", "-c"])`
    pub options: Vec<(String, Vec<String>)>,
}

impl Validator {
    fn new(kind: Kind) -> Self {
        Validator {
            kind,
            exists: false,
            resolve: false,
            ext: Vec::new(),
            deny: Vec::new(),
            schemes: Vec::new(),
            hosts: Vec::new(),
            ports: Vec::new(),
            tables: Vec::new(),
            functions: Vec::new(),
            write: Vec::new(),
            dialect: None,
            programs: Vec::new(),
            options: Vec::new(),
        }
    }
}

pub(crate) enum ArgAttr {
    /// `#[arg(none)]`: no validator, even if the name suggests one.
    None,
    /// `#[arg(secret)]`: never recorded; audit events carry its digest.
    Secret,
    Validator(Box<Validator>),
    /// `#[arg(resource = "Order")]`: the Cedar entity type the value names.
    Resource(String),
}

const VALIDATORS: &str =
    "`path`, `url`, `sql`, `command`, `shell_arg`, `secret`, `none` or `resource = \"Type\"`";

/// The validator a parameter gets by its name alone (`path`, `url`, ...).
pub(crate) fn by_name(name: &str) -> Option<Kind> {
    match name {
        "path" | "file_path" | "filename" | "dir" => Some(Kind::Path),
        "url" | "uri" | "endpoint" | "webhook_url" => Some(Kind::Url),
        "sql" | "sql_query" => Some(Kind::Sql),
        "command" | "cmd" => Some(Kind::Command),
        _ => None,
    }
}

/// A validator with no options, for a parameter matched by name.
pub(crate) fn default_for(kind: Kind) -> Validator {
    Validator::new(kind)
}

pub(crate) fn parse(attr: &Attribute, errors: &mut Errors) -> Option<ArgAttr> {
    let list = match &attr.meta {
        Meta::List(list) => list,
        other => {
            errors.push(syn::Error::new(
                other.span(),
                format!("write `#[arg(...)]` with one of {VALIDATORS}"),
            ));
            return None;
        }
    };
    let metas = match Punctuated::<Meta, Token![,]>::parse_terminated.parse2(list.tokens.clone()) {
        Ok(metas) => metas,
        Err(err) => {
            errors.push(err);
            return None;
        }
    };
    let mut metas = metas.into_iter();
    let Some(meta) = metas.next() else {
        errors.push(syn::Error::new(
            list.span(),
            format!("`#[arg]` needs one of {VALIDATORS}"),
        ));
        return None;
    };
    if let Some(extra) = metas.next() {
        errors.push(syn::Error::new(
            extra.span(),
            "one validator per parameter: `#[arg(...)]` takes a single entry",
        ));
    }
    let name = key_of(&meta);
    if name == "resource" {
        let Meta::NameValue(nv) = &meta else {
            errors.push(syn::Error::new(
                meta.span(),
                "write `resource = \"Type\"`, the Cedar entity type the argument names",
            ));
            return None;
        };
        let Expr::Lit(ExprLit {
            lit: Lit::Str(lit), ..
        }) = &nv.value
        else {
            errors.push(syn::Error::new(
                nv.value.span(),
                "`resource` takes a string literal: the entity type, e.g. \"Order\"",
            ));
            return None;
        };
        let ty = lit.value();
        let valid = !ty.is_empty()
            && ty.split("::").all(|part| {
                let mut chars = part.chars();
                chars
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                    && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
            });
        if !valid {
            errors.push(syn::Error::new(
                lit.span(),
                "a Cedar entity type is an identifier such as \"Order\" or \"Shop::Order\"",
            ));
            return None;
        }
        if matches!(ty.as_str(), "Caller" | "Tool" | "Action") {
            errors.push(syn::Error::new(
                lit.span(),
                format!("`{ty}` is guard's own entity type; name the application's type"),
            ));
            return None;
        }
        return Some(ArgAttr::Resource(ty));
    }
    let kind = match name.as_str() {
        "none" | "secret" => {
            if !matches!(meta, Meta::Path(_)) {
                errors.push(syn::Error::new(
                    meta.span(),
                    format!("`{name}` takes no options"),
                ));
            }
            return Some(if name == "none" {
                ArgAttr::None
            } else {
                ArgAttr::Secret
            });
        }
        "path" => Kind::Path,
        "url" => Kind::Url,
        "sql" => Kind::Sql,
        "command" => Kind::Command,
        "shell_arg" => Kind::ShellArg,
        _ => {
            errors.push(syn::Error::new(
                meta.path().span(),
                format!("unknown validator; expected {VALIDATORS}"),
            ));
            return None;
        }
    };
    let mut validator = Validator::new(kind);
    match &meta {
        Meta::Path(_) => {}
        Meta::List(options) => parse_options(&mut validator, options.tokens.clone(), errors),
        Meta::NameValue(nv) => errors.push(syn::Error::new(
            nv.eq_token.span(),
            format!("write options in parentheses: `{name}(...)`"),
        )),
    }
    Some(ArgAttr::Validator(Box::new(validator)))
}

fn parse_options(validator: &mut Validator, tokens: proc_macro2::TokenStream, errors: &mut Errors) {
    let options = match Punctuated::<Meta, Token![,]>::parse_terminated.parse2(tokens) {
        Ok(options) => options,
        Err(err) => {
            errors.push(err);
            return;
        }
    };
    let allowed: &[&str] = match validator.kind {
        Kind::Path => &["exists", "ext", "deny"],
        Kind::Url => &["schemes", "hosts", "ports", "resolve"],
        Kind::Sql => &["tables", "write", "dialect", "functions"],
        Kind::Command => &["programs", "options"],
        Kind::ShellArg => &[],
    };
    let mut seen: Vec<String> = Vec::new();
    for option in options {
        let key = key_of(&option);
        if !allowed.contains(&key.as_str()) {
            let expected = if allowed.is_empty() {
                "this validator takes no options".to_owned()
            } else {
                format!("expected one of: {}", allowed.join(", "))
            };
            errors.push(syn::Error::new(
                option.path().span(),
                format!("unknown option; {expected}"),
            ));
            continue;
        }
        if seen.contains(&key) {
            errors.push(syn::Error::new(
                option.path().span(),
                format!("duplicate option `{key}`"),
            ));
            continue;
        }
        seen.push(key.clone());
        match key.as_str() {
            "exists" => validator.exists = flag(&option, errors),
            "resolve" => validator.resolve = flag(&option, errors),
            "ext" => validator.ext = strings(&option, errors),
            "deny" => validator.deny = strings(&option, errors),
            "schemes" => validator.schemes = strings(&option, errors),
            "hosts" => validator.hosts = strings(&option, errors),
            "tables" => validator.tables = strings(&option, errors),
            "functions" => validator.functions = strings(&option, errors),
            "programs" => validator.programs = strings(&option, errors),
            "options" => validator.options = program_options(&option, errors),
            "write" => {
                let spans = array(&option, errors);
                for (value, span) in spans {
                    if matches!(value.as_str(), "insert" | "update" | "delete" | "merge") {
                        validator.write.push(value);
                    } else {
                        errors.push(syn::Error::new(
                            span,
                            "write kinds are \"insert\", \"update\", \"delete\" and \"merge\"",
                        ));
                    }
                }
            }
            "dialect" => match value(&option, errors) {
                Some(Expr::Lit(ExprLit {
                    lit: Lit::Str(lit), ..
                })) => {
                    validator.dialect = Some(lit.clone());
                }
                Some(other) => errors.push(syn::Error::new(
                    other.span(),
                    "`dialect` takes a string literal",
                )),
                None => {}
            },
            "ports" => {
                if let Some(Expr::Array(items)) = value(&option, errors).or(None) {
                    for item in &items.elems {
                        match item {
                            Expr::Lit(ExprLit {
                                lit: Lit::Int(int), ..
                            }) => match int.base10_parse::<u16>() {
                                Ok(port) if port > 0 => validator.ports.push(port),
                                _ => {
                                    errors.push(syn::Error::new(int.span(), "ports are 1 to 65535"))
                                }
                            },
                            other => errors
                                .push(syn::Error::new(other.span(), "ports are integer literals")),
                        }
                    }
                    if items.elems.is_empty() {
                        errors.push(syn::Error::new(
                            items.span(),
                            "an empty list allows nothing; remove the option",
                        ));
                    }
                } else {
                    errors.push(syn::Error::new(
                        option.span(),
                        "`ports` takes a list: `ports = [443]`",
                    ));
                }
            }
            _ => unreachable!("checked against the allowed options"),
        }
    }
}

/// The option's name (`ext` in `ext = [...]`), or "" for a path that is not one word.
fn key_of(meta: &Meta) -> String {
    meta.path()
        .get_ident()
        .map(|i| i.to_string())
        .unwrap_or_default()
}

fn value<'m>(option: &'m Meta, errors: &mut Errors) -> Option<&'m Expr> {
    match option {
        Meta::NameValue(nv) => Some(&nv.value),
        other => {
            let key = key_of(other);
            errors.push(syn::Error::new(
                other.span(),
                format!("`{key}` needs a value: `{key} = ...`"),
            ));
            None
        }
    }
}

fn flag(option: &Meta, errors: &mut Errors) -> bool {
    match option {
        Meta::Path(_) => true,
        other => {
            let key = key_of(other);
            errors.push(syn::Error::new(
                other.span(),
                format!("`{key}` takes no value: write `{key}`"),
            ));
            false
        }
    }
}

fn array(option: &Meta, errors: &mut Errors) -> Vec<(String, Span)> {
    let key = key_of(option);
    let Some(expr) = value(option, errors) else {
        return Vec::new();
    };
    let Expr::Array(ExprArray { elems, .. }) = expr else {
        errors.push(syn::Error::new(
            expr.span(),
            format!("`{key}` takes a list of strings: `{key} = [\"...\"]`"),
        ));
        return Vec::new();
    };
    if elems.is_empty() {
        errors.push(syn::Error::new(
            expr.span(),
            "an empty list allows nothing; remove the option",
        ));
    }
    elems
        .iter()
        .filter_map(|item| match item {
            Expr::Lit(ExprLit {
                lit: Lit::Str(lit), ..
            }) if !lit.value().is_empty() => Some((lit.value(), lit.span())),
            other => {
                errors.push(syn::Error::new(
                    other.span(),
                    "expected a non-empty string literal",
                ));
                None
            }
        })
        .collect()
}

/// `options(wc = ["-l", "-c"], jq = ["-r"])`: per program, the only
/// options it may be given.
fn program_options(option: &Meta, errors: &mut Errors) -> Vec<(String, Vec<String>)> {
    let Meta::List(list) = option else {
        errors.push(syn::Error::new(
            option.span(),
            "`options` takes a list per program: `options(wc = [\"-l\"])`",
        ));
        return Vec::new();
    };
    let entries = match Punctuated::<Meta, Token![,]>::parse_terminated.parse2(list.tokens.clone())
    {
        Ok(entries) => entries,
        Err(err) => {
            errors.push(err);
            return Vec::new();
        }
    };
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for entry in entries {
        let program = key_of(&entry);
        if out.iter().any(|(p, _)| *p == program) {
            errors.push(syn::Error::new(
                entry.path().span(),
                format!("duplicate program `{program}`"),
            ));
            continue;
        }
        let options = strings(&entry, errors);
        if options.iter().any(|o| !o.starts_with('-')) {
            errors.push(syn::Error::new(
                entry.span(),
                "options start with `-`: `[\"-l\", \"--lines\"]`",
            ));
        }
        out.push((program, options));
    }
    out
}

fn strings(option: &Meta, errors: &mut Errors) -> Vec<String> {
    array(option, errors).into_iter().map(|(s, _)| s).collect()
}
