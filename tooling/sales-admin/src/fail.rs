//! Errors that say what to do: an [`anyhow::Error`] can carry a hint (`.hint(..)`),
//! and `main` prints the message and the hint together on one line.

use std::fmt;

/// An error plus advice for the operator. Its message already holds the whole
/// cause chain, so it reports no `source`.
#[derive(Debug)]
pub struct Hinted {
    error: anyhow::Error,
    hint: String,
}

impl fmt::Display for Hinted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&chain_text(&self.error))
    }
}

impl std::error::Error for Hinted {}

pub trait HintExt<T> {
    /// Attaches advice on what to do when this fails.
    fn hint(self, hint: impl Into<String>) -> anyhow::Result<T>;
}

impl<T, E: Into<anyhow::Error>> HintExt<T> for Result<T, E> {
    fn hint(self, hint: impl Into<String>) -> anyhow::Result<T> {
        self.map_err(|e| hinted(e, hint))
    }
}

/// `err` with advice attached.
pub fn hinted(err: impl Into<anyhow::Error>, hint: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Hinted {
        error: err.into(),
        hint: hint.into(),
    })
}

/// A plain error with advice attached.
pub fn fail(msg: impl fmt::Display, hint: impl Into<String>) -> anyhow::Error {
    hinted(anyhow::anyhow!("{msg}"), hint)
}

/// The message and its causes joined by ": ". Many errors (sqlx's, thiserror
/// enums with `{0}` and `#[source]`) already print their cause; a cause whose text
/// is already there is not repeated.
fn chain_text(err: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

/// `error: <message, causes joined by ": "> — <hint>`, always one line.
pub fn render(err: &anyhow::Error) -> String {
    let hint = err
        .chain()
        .find_map(|e| e.downcast_ref::<Hinted>())
        .map(|h| h.hint.as_str());
    let mut line = format!("error: {}", chain_text(err));
    if let Some(hint) = hint {
        line.push_str(" — ");
        line.push_str(hint);
    }
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn hint_survives_outer_context_and_prints_once_on_one_line() {
        let inner: Result<(), std::io::Error> = Err(std::io::Error::other("connection\nrefused"));
        let err = inner
            .hint("is PostgreSQL running? check SALES_DB_URL")
            .context("cannot open database")
            .unwrap_err();
        assert_eq!(
            render(&err),
            "error: cannot open database: connection refused — is PostgreSQL running? check SALES_DB_URL"
        );
    }

    #[test]
    fn causes_already_in_the_message_are_not_repeated() {
        #[derive(Debug)]
        struct Wraps(std::io::Error);
        impl fmt::Display for Wraps {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "reading /nope: {}", self.0)
            }
        }
        impl std::error::Error for Wraps {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let err = anyhow::Error::new(Wraps(std::io::Error::other("not found"))).context("cannot load keys");
        assert_eq!(render(&err), "error: cannot load keys: reading /nope: not found");
    }

    #[test]
    fn plain_errors_have_no_hint() {
        let err = anyhow::anyhow!("boom").context("doing x");
        assert_eq!(render(&err), "error: doing x: boom");
    }
}
