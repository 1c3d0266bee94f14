//! A bearer token held in memory only: `Debug` never shows it, there is no `Display`, and
//! its value is handed out only to build an `Authorization` header.

use std::fmt;

/// A bearer token (GitHub, Google Cloud); never printed, logged or written.
#[derive(Clone)]
pub struct Token(String);

impl Token {
    pub fn new(value: impl Into<String>) -> Token {
        Token(value.into())
    }

    /// The value, for the `Authorization` header only.
    pub(crate) fn secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<hidden>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_value_never_shows_in_debug() {
        let token = Token::new("ghp_secretvalue");
        assert_eq!(format!("{token:?}"), "Token(<hidden>)");
        assert_eq!(token.secret(), "ghp_secretvalue");
    }
}
