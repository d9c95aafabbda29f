//! The options inside `#[baton::main(..)]` and `#[baton::test(..)]`, parsed
//! with `syn`; every misuse is a `syn::Error` spanned on the user's tokens.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::meta::ParseNestedMeta;
use syn::{LitInt, LitStr};

use crate::entry::Kind;

/// What the attribute asked for; `None` keeps the facade's default.
#[derive(Default)]
pub(crate) struct Options {
    reactor: Option<LitStr>,
    executor: Option<LitStr>,
    workers: Option<LitInt>,
    virtual_time: Option<Span>,
    chaos: Option<Span>,
    seed: Option<LitInt>,
    each_pair: Option<Span>,
    timeout: Option<(LitStr, u64)>,
}

const MAIN_OPTIONS: &str = "reactor, executor, workers";
const TEST_OPTIONS: &str =
    "reactor, executor, workers, virtual_time, chaos, seed, each_pair, timeout";

impl Options {
    /// Parses one `name`, `name = value` of the attribute's list.
    pub(crate) fn parse(&mut self, kind: Kind, meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
        let Some(name) = meta.path.get_ident().map(ToString::to_string) else {
            return Err(meta.error("expected an option name"));
        };
        let span = meta
            .path
            .get_ident()
            .map_or_else(Span::call_site, |i| i.span());
        match (kind, name.as_str()) {
            (_, "reactor") => {
                let lit: LitStr = meta.value()?.parse()?;
                check_one_of(&lit, &["epoll", "poll"])?;
                set(&mut self.reactor, lit, meta)
            }
            (_, "executor") => {
                let lit: LitStr = meta.value()?.parse()?;
                check_one_of(&lit, &["local", "multi"])?;
                set(&mut self.executor, lit, meta)
            }
            (_, "workers") => {
                let lit: LitInt = meta.value()?.parse()?;
                if lit.base10_parse::<usize>()? == 0 {
                    return Err(syn::Error::new_spanned(&lit, "workers must be at least 1"));
                }
                set(&mut self.workers, lit, meta)
            }
            (Kind::Test, "virtual_time") => set(&mut self.virtual_time, span, meta),
            (Kind::Test, "chaos") => set(&mut self.chaos, span, meta),
            (Kind::Test, "each_pair") => set(&mut self.each_pair, span, meta),
            (Kind::Test, "seed") => {
                let lit: LitInt = meta.value()?.parse()?;
                lit.base10_parse::<u64>()?;
                set(&mut self.seed, lit, meta)
            }
            (Kind::Test, "timeout") => {
                let lit: LitStr = meta.value()?.parse()?;
                let millis = parse_duration(&lit)?;
                set(&mut self.timeout, (lit, millis), meta)
            }
            (Kind::Main, _) => Err(meta.error(format!(
                "unknown option `{name}` for #[baton::main]; expected one of: {MAIN_OPTIONS}"
            ))),
            (Kind::Test, _) => Err(meta.error(format!(
                "unknown option `{name}` for #[baton::test]; expected one of: {TEST_OPTIONS}"
            ))),
        }
    }

    /// Refuses combinations that cannot mean anything.
    pub(crate) fn check(&self) -> syn::Result<()> {
        if let (Some(_), Some(span)) = (&self.virtual_time, self.chaos) {
            return Err(syn::Error::new(
                span,
                "`virtual_time` and `chaos` cannot be combined: pick one decorator per test",
            ));
        }
        if let (Some(seed), None) = (&self.seed, self.chaos) {
            return Err(syn::Error::new_spanned(
                seed,
                "`seed` needs `chaos`: it seeds the fault injection",
            ));
        }
        if let Some(span) = self.each_pair {
            if let Some(lit) = &self.reactor {
                return Err(syn::Error::new_spanned(
                    lit,
                    "`each_pair` runs every reactor: drop `reactor`",
                ));
            }
            if let Some(lit) = &self.executor {
                return Err(syn::Error::new_spanned(
                    lit,
                    "`each_pair` runs every executor: drop `executor`",
                ));
            }
            if self.workers.is_some() {
                return Err(syn::Error::new(
                    span,
                    "`each_pair` picks the workers of each pair: drop `workers`",
                ));
            }
        }
        Ok(())
    }

    /// The `baton::rt::RuntimeOptions` expression these options ask for,
    /// starting from `base` (the facade's defaults for main or for tests).
    pub(crate) fn runtime(&self, base: TokenStream) -> TokenStream {
        let mut fields = Vec::new();
        if let Some(lit) = &self.reactor {
            let variant = match lit.value().as_str() {
                "poll" => quote!(Poll),
                _ => quote!(Epoll),
            };
            fields.push(quote!(reactor: ::baton::rt::ReactorKind::#variant));
        }
        if let Some(lit) = &self.executor {
            let variant = match lit.value().as_str() {
                "local" => quote!(Local),
                _ => quote!(Multi),
            };
            fields.push(quote!(executor: ::baton::rt::ExecutorKind::#variant));
        }
        if let Some(lit) = &self.workers {
            fields.push(quote!(workers: #lit));
        }
        if fields.is_empty() {
            return base;
        }
        quote!(::baton::rt::RuntimeOptions { #(#fields,)* ..#base })
    }

    /// The `baton::rt::TestOptions` expression for a test.
    pub(crate) fn test(&self) -> TokenStream {
        let runtime = self.runtime(quote!(::baton::rt::RuntimeOptions::for_tests()));
        let mut expr = quote!(::baton::rt::TestOptions::new(#runtime));
        if self.virtual_time.is_some() {
            expr = quote!(#expr.virtual_time());
        }
        if self.chaos.is_some() {
            let seed = match &self.seed {
                Some(lit) => quote!(::core::option::Option::Some(#lit)),
                None => quote!(::core::option::Option::None),
            };
            expr = quote!(#expr.chaos(#seed));
        }
        if self.each_pair.is_some() {
            expr = quote!(#expr.each_pair());
        }
        if let Some((_, millis)) = &self.timeout {
            expr = quote!(#expr.timeout(::core::time::Duration::from_millis(#millis)));
        }
        expr
    }
}

fn set<T>(slot: &mut Option<T>, value: T, meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if slot.is_some() {
        return Err(meta.error("this option is given twice"));
    }
    *slot = Some(value);
    Ok(())
}

fn check_one_of(lit: &LitStr, valid: &[&str]) -> syn::Result<()> {
    let value = lit.value();
    if valid.contains(&value.as_str()) {
        Ok(())
    } else {
        Err(syn::Error::new_spanned(
            lit,
            format!(
                "unknown value {value:?}; expected one of: {}",
                valid.join(", ")
            ),
        ))
    }
}

/// `"5s"`, `"500ms"`, `"2m"` in milliseconds.
fn parse_duration(lit: &LitStr) -> syn::Result<u64> {
    let text = lit.value();
    let digits_end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(digits_end);
    let scale = match unit.trim() {
        "ms" => Some(1),
        "s" => Some(1000),
        "m" | "min" => Some(60_000),
        _ => None,
    };
    match (digits.parse::<u64>(), scale) {
        (Ok(n), Some(scale)) if n > 0 => n
            .checked_mul(scale)
            .ok_or_else(|| syn::Error::new_spanned(lit, "timeout too large")),
        _ => Err(syn::Error::new_spanned(
            lit,
            "expected a positive duration such as \"500ms\", \"5s\" or \"2m\"",
        )),
    }
}
