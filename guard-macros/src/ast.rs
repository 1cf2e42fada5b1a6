//! The typed model of an annotated function: its parameters sorted into
//! tool arguments and the caller-context parameter, with the attributes
//! that belong to the generated arguments struct split off.

use proc_macro2::Span;
use quote::ToTokens as _;
use syn::spanned::Spanned;
use syn::{Attribute, FnArg, Ident, ItemFn, Pat, Type};

use crate::arg::{self, ArgAttr};
use crate::attr::Errors;

/// How the context parameter is taken.
pub(crate) enum ContextKind {
    Owned,
    Borrowed,
}

pub(crate) enum ParamKind {
    /// A tool argument: a field of the generated arguments struct.
    Argument {
        /// `///` docs, `#[serde]` and `#[schemars]` attributes, moved to the struct field.
        field_attrs: Vec<Attribute>,
        /// `#[arg(...)]`, if written.
        arg: Option<ArgAttr>,
        /// The JSON property name (the identifier, or its `#[serde(rename)]`
        /// or `#[serde(rename(deserialize = ...))]`).
        json_name: String,
        /// serde options that read the argument under other names or in
        /// another shape (`alias`, `flatten`, `with`, `deserialize_with`),
        /// which a validator looking the argument up by `json_name` cannot follow.
        unfollowable: Vec<(Span, String)>,
    },
    /// The caller's context, excluded from the schema.
    Context(ContextKind),
}

pub(crate) struct Param {
    pub ident: Ident,
    pub ty: Type,
    pub kind: ParamKind,
}

pub(crate) struct ToolFn {
    /// The function as the user wrote it, minus the attributes guard consumes.
    pub item: ItemFn,
    pub params: Vec<Param>,
    /// Joined doc comment lines, if any.
    pub doc: Option<String>,
}

/// The marker that names the context parameter explicitly.
const CONTEXT_MARKER: &str = "context";

/// Splits the function into the model. Always returns the cleaned item, even
/// when errors were recorded, so the caller can emit it as a fallback.
pub(crate) fn parse(mut item: ItemFn, errors: &mut Errors) -> ToolFn {
    let doc = doc_text(&item.attrs);
    let mut params = Vec::new();
    for input in item.sig.inputs.iter_mut() {
        match input {
            FnArg::Receiver(receiver) => errors.push(syn::Error::new(
                receiver.span(),
                "#[secure_tool] works on free functions; `self` parameters are not supported",
            )),
            FnArg::Typed(pat_type) => {
                let mut field_attrs = Vec::new();
                let mut marker: Option<Span> = None;
                let mut arg_attrs: Vec<Attribute> = Vec::new();
                pat_type.attrs.retain(|attr| {
                    let path = attr.path();
                    if path.is_ident("doc") || path.is_ident("serde") || path.is_ident("schemars") {
                        field_attrs.push(attr.clone());
                        false
                    } else if path.is_ident("arg") {
                        arg_attrs.push(attr.clone());
                        false
                    } else if path.is_ident(CONTEXT_MARKER) {
                        marker = Some(attr.path().span());
                        false
                    } else {
                        true
                    }
                });
                let ident = match &*pat_type.pat {
                    Pat::Ident(pat) if pat.by_ref.is_none() && pat.subpat.is_none() => {
                        pat.ident.clone()
                    }
                    other => {
                        errors.push(syn::Error::new(
                            other.span(),
                            "tool parameters must be plain identifiers, e.g. `path: String`",
                        ));
                        continue;
                    }
                };
                let ty = (*pat_type.ty).clone();
                let context = match marker {
                    Some(span) => {
                        let kind = context_kind(&ty);
                        if kind.is_none() {
                            errors.push(syn::Error::new(
                                span,
                                "#[context] marks a parameter of type `CallContext` or `&CallContext`",
                            ));
                        }
                        if !field_attrs.is_empty() {
                            errors.push(syn::Error::new(
                                field_attrs[0].span(),
                                "the context parameter is not part of the schema; docs, #[serde] and #[schemars] do not apply",
                            ));
                        }
                        kind
                    }
                    None if is_full_context_path(&ty) => context_kind(&ty),
                    None => None,
                };
                if let Some(extra) = arg_attrs.get(1) {
                    errors.push(syn::Error::new(
                        extra.path().span(),
                        "duplicate `#[arg]`: one validator per parameter",
                    ));
                }
                let arg = arg_attrs.first().and_then(|attr| {
                    if context.is_some() {
                        errors.push(syn::Error::new(
                            attr.path().span(),
                            "the context parameter is not validated; remove `#[arg]`",
                        ));
                        None
                    } else {
                        arg::parse(attr, errors)
                    }
                });
                let kind = match context {
                    Some(kind) => ParamKind::Context(kind),
                    None => {
                        let unraw = ident.to_string();
                        let unraw = unraw.strip_prefix("r#").unwrap_or(&unraw).to_owned();
                        let names = serde_names(&field_attrs);
                        let json_name = names.rename.unwrap_or(unraw);
                        ParamKind::Argument {
                            field_attrs,
                            arg,
                            json_name,
                            unfollowable: names.unfollowable,
                        }
                    }
                };
                params.push(Param { ident, ty, kind });
            }
        }
    }
    let has_receiver = matches!(item.sig.inputs.first(), Some(FnArg::Receiver(_)));
    if let Some(span) = self_type_in(item.sig.to_token_stream()).filter(|_| !has_receiver) {
        errors.push(syn::Error::new(
            span,
            "#[secure_tool] works on free functions; `Self` in the signature means this one is \
             inside an impl block: move it out of the impl",
        ));
    }
    ToolFn { item, params, doc }
}

/// Where the signature names `Self`, if it does: only a function inside an
/// impl block can.
fn self_type_in(tokens: proc_macro2::TokenStream) -> Option<Span> {
    tokens.into_iter().find_map(|tree| match tree {
        proc_macro2::TokenTree::Ident(ident) if ident == "Self" => Some(ident.span()),
        proc_macro2::TokenTree::Group(group) => self_type_in(group.stream()),
        _ => None,
    })
}

/// What `#[serde(...)]` on a parameter says about its wire name.
struct SerdeNames {
    rename: Option<String>,
    unfollowable: Vec<(Span, String)>,
}

/// The name serde deserializes the field from (`rename = "..."` or
/// `rename(deserialize = "...")`), and the options that add other names.
fn serde_names(attrs: &[Attribute]) -> SerdeNames {
    let mut names = SerdeNames {
        rename: None,
        unfollowable: Vec::new(),
    };
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        // Other serde options are skipped here; serde reports their errors.
        let _ = attr.parse_nested_meta(|meta| {
            let key = meta
                .path
                .get_ident()
                .map(|i| i.to_string())
                .unwrap_or_default();
            if key == "rename" && meta.input.peek(syn::Token![=]) {
                let lit: syn::LitStr = meta.value()?.parse()?;
                names.rename = Some(lit.value());
                return Ok(());
            }
            if key == "rename" && meta.input.peek(syn::token::Paren) {
                meta.parse_nested_meta(|inner| {
                    let lit: syn::LitStr = inner.value()?.parse()?;
                    if inner.path.is_ident("deserialize") {
                        names.rename = Some(lit.value());
                    }
                    Ok(())
                })?;
                return Ok(());
            }
            if matches!(
                key.as_str(),
                "alias" | "flatten" | "with" | "deserialize_with"
            ) {
                names.unfollowable.push((meta.path.span(), key));
            }
            if meta.input.peek(syn::Token![=]) {
                let _: syn::Expr = meta.value()?.parse()?;
            } else if meta.input.peek(syn::token::Paren) {
                let _content;
                syn::parenthesized!(_content in meta.input);
            }
            Ok(())
        });
    }
    names
}

/// `CallContext` or `&CallContext` under any path: the marker already said what it is.
fn context_kind(ty: &Type) -> Option<ContextKind> {
    match ty {
        Type::Reference(reference) if reference.mutability.is_none() => {
            matches!(&*reference.elem, Type::Path(_)).then_some(ContextKind::Borrowed)
        }
        Type::Path(_) => Some(ContextKind::Owned),
        _ => None,
    }
}

/// Without the marker, only the full path `guard_runtime::CallContext` (or
/// `::guard_runtime::CallContext`) counts: a bare `CallContext` might be any type.
fn is_full_context_path(ty: &Type) -> bool {
    let ty = match ty {
        Type::Reference(reference) => &*reference.elem,
        other => other,
    };
    let Type::Path(path) = ty else { return false };
    if path.qself.is_some() {
        return false;
    }
    let segments: Vec<String> = path
        .path
        .segments
        .iter()
        .map(|segment| segment.ident.to_string())
        .collect();
    segments == ["guard_runtime", "CallContext"]
        && path.path.segments.iter().all(|s| s.arguments.is_none())
}

/// The text of `///` comments: one leading space dropped per line, lines
/// joined with newlines, surrounding blank lines trimmed.
pub(crate) fn doc_text(attrs: &[Attribute]) -> Option<String> {
    let mut lines = Vec::new();
    for attr in attrs {
        if !attr.path().is_ident("doc") {
            continue;
        }
        if let syn::Meta::NameValue(nv) = &attr.meta
            && let syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(lit),
                ..
            }) = &nv.value
        {
            let value = lit.value();
            lines.push(
                value
                    .strip_prefix(' ')
                    .unwrap_or(&value)
                    .trim_end()
                    .to_owned(),
            );
        }
    }
    let text = lines.join("\n");
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}
