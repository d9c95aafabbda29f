//! The expansion: check the function, parse the options, and emit a call
//! into the facade (`baton::rt::main` / `baton::rt::test`) that does the
//! work. Like tokio-macros' `entry.rs`, but the runtime is built and run by
//! a normal, documented function of the facade, not by generated code.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::parse::Parser;
use syn::{ItemFn, Signature};

use crate::options::Options;

/// Which attribute is expanded.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Main,
    Test,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Main => "#[baton::main]",
            Kind::Test => "#[baton::test]",
        }
    }
}

/// Expands the attribute `kind` with `args` on `item`.
pub(crate) fn expand(kind: Kind, args: TokenStream, item: TokenStream) -> TokenStream {
    let function: ItemFn = match syn::parse2(item.clone()) {
        Ok(function) => function,
        Err(e) => {
            let mut out = e.to_compile_error();
            out.extend(item);
            return out;
        }
    };
    match options(kind, args, &function) {
        Ok(options) => emit(kind, &options, function),
        Err(e) => fallback(kind, e, function),
    }
}

/// Parses and checks the options and the function's shape.
fn options(kind: Kind, args: TokenStream, function: &ItemFn) -> syn::Result<Options> {
    let mut options = Options::default();
    let parser = syn::meta::parser(|meta| options.parse(kind, &meta));
    parser.parse2(args)?;
    options.check()?;
    check_signature(kind, &function.sig)?;
    Ok(options)
}

fn check_signature(kind: Kind, sig: &Signature) -> syn::Result<()> {
    if sig.asyncness.is_none() {
        return Err(syn::Error::new_spanned(
            sig.fn_token,
            format!(
                "{} needs an `async fn`: add the `async` keyword to the declaration",
                kind.name()
            ),
        ));
    }
    if !sig.inputs.is_empty() {
        let message = match kind {
            Kind::Main => {
                "#[baton::main] takes no arguments: `main` cannot receive any (read them with std::env::args)"
            }
            Kind::Test => "#[baton::test] takes no arguments: a test function cannot receive any",
        };
        return Err(syn::Error::new_spanned(&sig.inputs, message));
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        return Err(syn::Error::new_spanned(
            &sig.generics,
            format!("{} cannot be generic", kind.name()),
        ));
    }
    Ok(())
}

/// The function, rewritten: the `async fn` becomes a plain `async fn` of
/// another name (inside `main`, next to a test), and a synchronous function
/// of the original name hands it to the facade.
fn emit(kind: Kind, options: &Options, function: ItemFn) -> TokenStream {
    let ItemFn {
        attrs,
        vis,
        mut sig,
        block,
        ..
    } = function;
    let output = &sig.output;
    // The body keeps its declared return type, so `?` converts as written.
    sig.asyncness = None;
    match kind {
        Kind::Main => {
            let inner = quote! {
                async fn __baton_body() #output #block
            };
            let runtime = options.runtime(quote!(::baton::rt::RuntimeOptions::default()));
            quote! {
                #(#attrs)*
                #vis #sig {
                    #inner
                    ::baton::rt::main(#runtime, __baton_body())
                }
            }
        }
        Kind::Test => {
            let test = options.test();
            let name = &sig.ident;
            // The body is a sibling item, not an inner one: it is then
            // type-checked in every build, not only under `cfg(test)`
            // (where `#[test]` functions exist), so the examples in docs
            // that show a `#[baton::test]` are compiled too.
            let body = quote::format_ident!("__baton_test_{}", name);
            // Where the test does not exist, neither does its body.
            let cfgs = attrs.iter().filter(|a| a.path().is_ident("cfg"));
            quote! {
                #(#cfgs)*
                #[allow(dead_code, non_snake_case)]
                #[doc(hidden)]
                async fn #body() #output #block

                #[::core::prelude::v1::test]
                #(#attrs)*
                #vis fn #name() {
                    ::baton::rt::test(#test, #body)
                }
            }
        }
    }
}

/// The error, next to the function it is about with the body left out, so
/// that the error is the only one reported (no "`main` not found").
fn fallback(kind: Kind, error: syn::Error, function: ItemFn) -> TokenStream {
    let ItemFn {
        attrs,
        vis,
        mut sig,
        ..
    } = function;
    sig.asyncness = None;
    // Arguments were reported already; without them `main` has the type
    // rustc expects, and no second error is reported.
    sig.inputs.clear();
    let error = error.to_compile_error();
    let attrs = attrs.iter().map(ToTokens::to_token_stream);
    let allow = match kind {
        Kind::Main => quote!(),
        Kind::Test => quote!(#[allow(dead_code)]),
    };
    quote! {
        #allow
        #(#attrs)*
        #vis #sig {
            #error
            #[allow(unreachable_code)]
            loop {}
        }
    }
}
