//! Code generation. Everything the generated code names is reached through
//! `<guard-runtime>::__private`, so a user crate needs no other dependency and
//! the versions of serde, schemars and inventory always match the runtime's.

use proc_macro_crate::{FoundCrate, crate_name};
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Ident, ItemFn};

use crate::arg::{self, ArgAttr, Kind, Validator};
use crate::ast::{self, ContextKind, ParamKind, ToolFn};
use crate::attr::{self, Errors};
use crate::valid::{self, Checked};

pub(crate) fn secure_tool(args: TokenStream, item: TokenStream) -> TokenStream {
    let item_fn: ItemFn = match syn::parse2(item.clone()) {
        Ok(item_fn) => item_fn,
        Err(_) => {
            let err = syn::Error::new(
                Span::call_site(),
                "#[secure_tool] applies to free functions (`fn` or `async fn`)",
            );
            // The user's item stays in place so IDEs and later errors still make sense.
            let err = err.to_compile_error();
            return quote!(#item #err);
        }
    };
    let mut errors = Errors::default();
    let attr = attr::parse(args, &mut errors);
    let tool = ast::parse(item_fn, &mut errors);
    let checked = valid::check(&attr, &tool, &mut errors);
    match errors.into_result() {
        Ok(()) => generate(&tool, &checked),
        Err(err) => {
            // The cleaned function is still emitted: it stays callable and
            // one mistake in the attribute does not cascade into others.
            let item = &tool.item;
            let err = err.to_compile_error();
            quote!(#item #err)
        }
    }
}

/// The path of guard-runtime as the user's crate names it (it may be renamed).
fn runtime_path() -> TokenStream {
    match crate_name("guard-runtime") {
        Ok(FoundCrate::Name(name)) => {
            let ident = Ident::new(&name, Span::call_site());
            quote!(::#ident)
        }
        // Inside guard-runtime itself, `extern crate self as guard_runtime` makes this resolve.
        Ok(FoundCrate::Itself) | Err(_) => quote!(::guard_runtime),
    }
}

fn generate(tool: &ToolFn, checked: &Checked) -> TokenStream {
    let krate = runtime_path();
    let private = quote!(#krate::__private);
    let serde_path = quote!(#private::serde).to_string();
    let schemars_path = quote!(#private::schemars).to_string();

    let item = &tool.item;
    let fn_ident = &item.sig.ident;
    let fn_name = fn_ident.to_string();
    let registration = format_ident!("__GUARD_TOOL_{}", fn_name.trim_start_matches("r#"));

    let mut fields = Vec::new();
    let mut bindings = Vec::new();
    let mut conversions = Vec::new();
    let mut call_args = Vec::new();
    let mut specs = Vec::new();
    let mut secrets: Vec<String> = Vec::new();
    let mut resource = quote!(::core::option::Option::None);
    for (index, param) in tool.params.iter().enumerate() {
        match &param.kind {
            ParamKind::Argument {
                field_attrs,
                arg,
                json_name,
                ..
            } => {
                let ident = &param.ident;
                let ty = &param.ty;
                // Bound to fresh names so a parameter can share the function's name.
                let binding = format_ident!("__guard_arg_{}", index);
                let unraw = ident.to_string();
                let unraw = unraw.strip_prefix("r#").unwrap_or(&unraw);
                // `#[arg(...)]` as written, else the validator the name implies.
                let implied = match arg {
                    None | Some(ArgAttr::Resource(_)) => arg::by_name(unraw).map(arg::default_for),
                    Some(_) => None,
                };
                let (validator, explicit) = match arg {
                    Some(ArgAttr::Validator(validator)) => (Some(&**validator), true),
                    Some(ArgAttr::None) => (None, false),
                    Some(ArgAttr::Secret) => {
                        secrets.push(json_name.clone());
                        (None, false)
                    }
                    Some(ArgAttr::Resource(ty)) => {
                        resource = quote!(::core::option::Option::Some((#json_name, #ty)));
                        (implied.as_ref(), false)
                    }
                    None => (implied.as_ref(), false),
                };
                if let Some(validator) = validator {
                    specs.push(arg_spec(
                        &private,
                        json_name,
                        ident.span(),
                        explicit,
                        validator,
                    ));
                }
                match (validator, explicit) {
                    (Some(validator), true) => {
                        let kind = Ident::new(validator.kind.marker(), Span::call_site());
                        // Spanned on the type, so a type the validator cannot fill is named there.
                        let checked_ty = quote_spanned!(ty.span()=>
                            <#ty as #private::FromChecked<#private::kinds::#kind>>);
                        let raw = format_ident!("__guard_raw_{}", index);
                        fields.push(quote!(#(#field_attrs)* #ident: #checked_ty::Raw));
                        bindings.push(quote!(#ident: #raw));
                        conversions.push(quote! {
                            let #binding: #ty = #checked_ty::from_checked(
                                #raw,
                                &mut __guard_checked.take(#json_name),
                            )?;
                        });
                    }
                    _ => {
                        fields.push(quote!(#(#field_attrs)* #ident: #ty));
                        bindings.push(quote!(#ident: #binding));
                    }
                }
                call_args.push(quote!(#binding));
            }
            ParamKind::Context(ContextKind::Owned) => call_args.push(quote!(__guard_ctx)),
            ParamKind::Context(ContextKind::Borrowed) => call_args.push(quote!(&__guard_ctx)),
        }
    }

    let invocation = if item.sig.asyncness.is_some() {
        quote! {
            #private::Invocation::asynchronous(async move {
                #private::Wrap(#fn_ident(#(#call_args),*).await).__guard_output()
            })
        }
    } else {
        quote! {
            #private::Invocation::blocking(move || {
                #private::Wrap(#fn_ident(#(#call_args),*)).__guard_output()
            })
        }
    };

    let Checked {
        name,
        description,
        risk,
        confirm,
        rate,
        timeout,
        roles,
        sources,
        sinks,
        sandbox,
    } = checked;
    let sandbox = match sandbox {
        Some(profile) => quote!(::core::option::Option::Some(#profile)),
        None => quote!(::core::option::Option::None),
    };
    let risk = Ident::new(risk.variant(), Span::call_site());
    // The runtime's grammar, evaluated by the compiler in the registration's
    // static: a bad duration fails the build at the attribute.
    let timeout = match timeout {
        Some(text) => {
            let private = respan(&private, text.span());
            quote_spanned!(text.span()=>
            ::core::option::Option::Some({
                const TIMEOUT: ::core::time::Duration = #private::attribute_timeout(#text);
                TIMEOUT
            }))
        }
        None => quote!(::core::option::Option::None),
    };
    let rate = match rate {
        Some(n) => quote!(::core::option::Option::Some(#n)),
        None => quote!(::core::option::Option::None),
    };

    quote! {
        #item

        // Named, not `_`: inside an impl block an unnamed const is a syntax
        // error that hides the real one (the tool function is not found).
        #[doc(hidden)]
        #[allow(dead_code, non_camel_case_types, non_snake_case, non_upper_case_globals, unused_variables, clippy::all)]
        const #registration: () = {
            use #private::{ViaPlain as _, ViaResult as _};

            #[derive(#private::serde::Deserialize, #private::schemars::JsonSchema)]
            #[serde(crate = #serde_path, deny_unknown_fields)]
            #[schemars(crate = #schemars_path)]
            struct __GuardArgs {
                #(#fields,)*
            }

            fn __guard_bind(
                __guard_args: __GuardArgs,
                __guard_ctx: #private::CallContext,
                __guard_checked: &mut #private::CheckedArgs,
            ) -> ::core::result::Result<#private::Invocation, #private::serde_json::Error> {
                let __GuardArgs { #(#bindings),* } = __guard_args;
                #(#conversions)*
                ::core::result::Result::Ok(#invocation)
            }

            fn __guard_prepare(
                __guard_args: &#private::serde_json::Value,
                __guard_ctx: #private::CallContext,
                __guard_checked: &mut #private::CheckedArgs,
            ) -> ::core::result::Result<#private::Invocation, #private::serde_json::Error> {
                let __guard_args =
                    <__GuardArgs as #private::serde::Deserialize>::deserialize(__guard_args)?;
                __guard_bind(__guard_args, __guard_ctx, __guard_checked)
            }

            fn __guard_prepare_str(
                __guard_args: &str,
                __guard_ctx: #private::CallContext,
            ) -> ::core::result::Result<#private::Invocation, #private::serde_json::Error> {
                let __guard_args = #private::serde_json::from_str::<__GuardArgs>(__guard_args)?;
                __guard_bind(__guard_args, __guard_ctx, &mut #private::CheckedArgs::default())
            }

            #private::inventory::submit! {
                #private::ToolRegistration {
                    name: #name,
                    description: #description,
                    rust_path: ::core::concat!(::core::module_path!(), "::", #fn_name),
                    risk: #private::Risk::#risk,
                    confirm: #confirm,
                    rate_per_minute: #rate,
                    timeout: #timeout,
                    roles: &[#(#roles),*],
                    sources: &[#(#sources),*],
                    sinks: &[#(#sinks),*],
                    sandbox: #sandbox,
                    resource: #resource,
                    args: &[#(#specs),*],
                    secret_args: &[#(#secrets),*],
                    schema: #private::args_schema::<__GuardArgs>,
                    prepare: __guard_prepare,
                    prepare_str: __guard_prepare_str,
                }
            }
        };
    }
}

/// One `ArgSpec` of the registration.
fn arg_spec(
    private: &TokenStream,
    name: &str,
    name_span: Span,
    explicit: bool,
    v: &Validator,
) -> TokenStream {
    let spec = quote!(#private::ValidatorSpec);
    let strings = |items: &[String]| quote!(&[#(#items),*]);
    let validator = match v.kind {
        Kind::Path => {
            let (exists, ext, deny) = (v.exists, strings(&v.ext), strings(&v.deny));
            quote!(#spec::Path { exists: #exists, ext: #ext, deny: #deny })
        }
        Kind::Url => {
            let (schemes, hosts, resolve) = (strings(&v.schemes), strings(&v.hosts), v.resolve);
            let ports = &v.ports;
            quote!(#spec::Url { schemes: #schemes, hosts: #hosts, ports: &[#(#ports),*], resolve: #resolve })
        }
        Kind::Sql => {
            let (tables, write) = (strings(&v.tables), strings(&v.write));
            let functions = strings(&v.functions);
            // The runtime's list of dialects, checked by the compiler.
            let dialect = match &v.dialect {
                Some(d) => {
                    let private = respan(private, d.span());
                    quote_spanned!(d.span()=>
                    ::core::option::Option::Some({
                        const DIALECT: &str = #private::sql_dialect(#d);
                        DIALECT
                    }))
                }
                None => quote!(::core::option::Option::None),
            };
            // A build without the SQL reader fails here, at the parameter.
            let private = respan(private, name_span);
            quote_spanned!(name_span=> {
                const SQL: () = #private::sql_validator();
                let () = SQL;
                #spec::Sql { tables: #tables, write: #write, dialect: #dialect, functions: #functions }
            })
        }
        Kind::Command => {
            let programs = strings(&v.programs);
            let options = v.options.iter().map(|(program, options)| {
                let options = strings(options);
                quote!((#program, #options))
            });
            quote!(#spec::Command { programs: #programs, options: &[#(#options),*] })
        }
        Kind::ShellArg => quote!(#spec::ShellArg),
    };
    quote!(#private::ArgSpec { name: #name, explicit: #explicit, validator: #validator })
}

/// `tokens` with every span set to `span`, so that an error the compiler
/// finds in them (a `const` the runtime refuses) points at the user's text.
fn respan(tokens: &TokenStream, span: Span) -> TokenStream {
    tokens
        .clone()
        .into_iter()
        .map(|mut token| {
            if let proc_macro2::TokenTree::Group(group) = &token {
                let mut inner =
                    proc_macro2::Group::new(group.delimiter(), respan(&group.stream(), span));
                inner.set_span(span);
                token = proc_macro2::TokenTree::Group(inner);
            } else {
                token.set_span(span);
            }
            token
        })
        .collect()
}
