//! Checks on the parsed model, run in their own pass so every problem is
//! reported together, each on its own span.

use syn::spanned::Spanned;
use syn::{ReturnType, Type};

use crate::arg::{self, ArgAttr};
use crate::ast::{ParamKind, ToolFn};
use crate::attr::{Errors, Risk, ToolAttr};

/// What expansion needs once the checks have passed.
pub(crate) struct Checked {
    pub name: String,
    pub description: String,
    pub risk: Risk,
    pub confirm: bool,
    pub rate: Option<u32>,
    pub timeout: Option<syn::LitStr>,
    pub roles: Vec<String>,
    pub sources: Vec<String>,
    pub sinks: Vec<String>,
    pub sandbox: Option<String>,
}

pub(crate) fn check(attr: &ToolAttr, tool: &ToolFn, errors: &mut Errors) -> Checked {
    let sig = &tool.item.sig;
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        let span = sig
            .generics
            .params
            .first()
            .map_or_else(|| sig.generics.span(), |param| param.span());
        errors.push(syn::Error::new(
            span,
            "#[secure_tool] functions cannot be generic: the schema is derived from concrete types",
        ));
    }
    if let Some(token) = &sig.constness {
        errors.push(syn::Error::new(
            token.span(),
            "#[secure_tool] cannot be used on a `const fn`",
        ));
    }
    if let Some(token) = &sig.unsafety {
        errors.push(syn::Error::new(
            token.span(),
            "#[secure_tool] cannot be used on an `unsafe fn`",
        ));
    }
    if let Some(abi) = &sig.abi {
        errors.push(syn::Error::new(
            abi.span(),
            "#[secure_tool] cannot be used on an `extern` function",
        ));
    }
    if let Some(variadic) = &sig.variadic {
        errors.push(syn::Error::new(
            variadic.span(),
            "#[secure_tool] functions cannot be variadic",
        ));
    }
    if let ReturnType::Type(_, ty) = &sig.output
        && let Type::ImplTrait(_) = &**ty
    {
        errors.push(syn::Error::new(
            ty.span(),
            "#[secure_tool] needs a concrete return type, not `impl Trait`",
        ));
    }

    let mut context_seen = false;
    let mut resource_seen = false;
    for param in &tool.params {
        if let ParamKind::Argument {
            arg: Some(ArgAttr::Resource(_)),
            ..
        } = &param.kind
        {
            if resource_seen {
                errors.push(syn::Error::new(
                    param.ident.span(),
                    "a call has one Cedar resource: only one argument may be `#[arg(resource = ...)]`",
                ));
            }
            resource_seen = true;
        }
        match &param.kind {
            ParamKind::Context(_) => {
                if context_seen {
                    errors.push(syn::Error::new(
                        param.ident.span(),
                        "only one context parameter is allowed",
                    ));
                }
                context_seen = true;
            }
            ParamKind::Argument {
                arg, unfollowable, ..
            } => {
                let unraw = param.ident.to_string();
                let unraw = unraw.strip_prefix("r#").unwrap_or(&unraw);
                let checked = match arg {
                    Some(ArgAttr::Validator(_) | ArgAttr::Secret) => true,
                    Some(ArgAttr::None) => false,
                    Some(ArgAttr::Resource(_)) => arg::by_name(unraw).is_some(),
                    None => arg::by_name(unraw).is_some(),
                };
                // Only a written `#[arg(..)]` hands a checked value to the
                // body; a validator by name checks text the body receives.
                let kind = match arg {
                    Some(ArgAttr::Validator(v)) => Some(v.kind),
                    _ => None,
                };
                if let Some(error) = type_fit(&param.ty, kind) {
                    errors.push(error);
                }
                if checked {
                    for (span, key) in unfollowable {
                        errors.push(syn::Error::new(
                            *span,
                            format!(
                                "`#[serde({key})]` lets this argument arrive under another name or shape than the one its validator checks; remove it (`rename` is followed)"
                            ),
                        ));
                    }
                }
                match &param.ty {
                Type::Reference(reference) => errors.push(syn::Error::new(
                    reference.span(),
                    "tool arguments are deserialized into owned values: use an owned type (e.g. `String` for `&str`); mark a `&CallContext` parameter with #[context]",
                )),
                Type::ImplTrait(impl_trait) => errors.push(syn::Error::new(
                    impl_trait.span(),
                    "tool arguments need a concrete `Deserialize + JsonSchema` type, not `impl Trait`",
                )),
                _ => {}
            }
            }
        }
    }

    let name = match &attr.name {
        Some(lit) => {
            let name = lit.value();
            if !valid_tool_name(&name) {
                errors.push(syn::Error::new(
                    lit.span(),
                    "tool names must match ^[a-zA-Z0-9_-]{1,64}$",
                ));
            }
            name
        }
        None => {
            let name = sig.ident.to_string();
            let name = name.strip_prefix("r#").unwrap_or(&name).to_owned();
            if !valid_tool_name(&name) {
                errors.push(syn::Error::new(
                    sig.ident.span(),
                    "the function name is not a valid tool name (^[a-zA-Z0-9_-]{1,64}$); set one with `name = \"...\"`",
                ));
            }
            name
        }
    };

    let description = match (&attr.description, &tool.doc) {
        (Some(lit), _) => {
            let text = lit.value().trim().to_owned();
            if text.is_empty() {
                errors.push(syn::Error::new(
                    lit.span(),
                    "`description` must not be empty",
                ));
            }
            text
        }
        (None, Some(doc)) => doc.clone(),
        (None, None) => {
            errors.push(syn::Error::new(
                sig.ident.span(),
                "a tool needs a description for the model: add a `///` doc comment or `description = \"...\"`",
            ));
            String::new()
        }
    };

    Checked {
        name,
        description,
        risk: attr.risk.unwrap_or(Risk::Medium),
        confirm: attr.confirm,
        rate: attr.rate.map(|(n, _)| n),
        timeout: attr.timeout.clone(),
        roles: attr.roles.clone(),
        sources: attr.sources.clone(),
        sinks: attr.sinks.clone(),
        sandbox: attr.sandbox.clone(),
    }
}

/// `^[a-zA-Z0-9_-]{1,64}$`, the rule OpenAI applies to function names.
fn valid_tool_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The name a type is known by (its last path segment), looking through
/// `Option`, `Vec` and `Box`.
fn inner_name(ty: &Type) -> Option<&syn::Ident> {
    let Type::Path(path) = ty else {
        return None;
    };
    let last = path.path.segments.last()?;
    if matches!(last.ident.to_string().as_str(), "Option" | "Vec" | "Box")
        && let syn::PathArguments::AngleBracketed(args) = &last.arguments
        && let Some(syn::GenericArgument::Type(inner)) = args.args.first()
    {
        return inner_name(inner);
    }
    Some(&last.ident)
}

/// What a validator hands over, by kind: the types that can receive it.
fn receivers(kind: arg::Kind) -> &'static str {
    match kind {
        arg::Kind::Path => "`String`, `CheckedPath` or `PathBuf`",
        arg::Kind::Url => "`String` or `CheckedUrl`",
        arg::Kind::Sql => "`String` or `CheckedSql`",
        arg::Kind::Command => "`String` or `Argv`",
        arg::Kind::ShellArg => "`String`",
    }
}

/// One clear error on the parameter's type when it cannot receive what its
/// validator (or lack of one) hands over, judged by the names guard's own
/// types and the primitives have; other types are left to the compiler.
fn type_fit(ty: &Type, kind: Option<arg::Kind>) -> Option<syn::Error> {
    let name = inner_name(ty)?;
    let needs = match name.to_string().as_str() {
        "CallContext" => {
            return Some(syn::Error::new(
                ty.span(),
                "the caller's context is not an argument: mark it `#[context]` (`#[context] ctx: CallContext` or `&CallContext`)",
            ));
        }
        "CheckedPath" => arg::Kind::Path,
        "CheckedUrl" => arg::Kind::Url,
        "CheckedSql" => arg::Kind::Sql,
        "Argv" => arg::Kind::Command,
        // A plain PathBuf needs no validator, but only `path` fills one.
        "PathBuf" if kind.is_some_and(|k| k != arg::Kind::Path) => arg::Kind::Path,
        "bool" | "char" | "f32" | "f64" | "i8" | "i16" | "i32" | "i64" | "i128" | "isize"
        | "u8" | "u16" | "u32" | "u64" | "u128" | "usize" => {
            let kind = kind?;
            return Some(syn::Error::new(
                ty.span(),
                format!(
                    "`#[arg({})]` checks text: this argument must be {}",
                    kind_name(kind),
                    receivers(kind)
                ),
            ));
        }
        _ => return None,
    };
    match kind {
        Some(kind) if kind == needs => None,
        Some(kind) => Some(syn::Error::new(
            ty.span(),
            format!(
                "`{name}` receives what `#[arg({})]` checked, and this argument has `#[arg({})]`: use {}",
                kind_name(needs),
                kind_name(kind),
                receivers(kind)
            ),
        )),
        None => Some(syn::Error::new(
            ty.span(),
            format!(
                "`{name}` receives a value its validator checked: add `#[arg({})]`",
                kind_name(needs)
            ),
        )),
    }
}

fn kind_name(kind: arg::Kind) -> &'static str {
    match kind {
        arg::Kind::Path => "path",
        arg::Kind::Url => "url",
        arg::Kind::Sql => "sql",
        arg::Kind::Command => "command",
        arg::Kind::ShellArg => "shell_arg",
    }
}
