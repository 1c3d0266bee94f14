//! The one place a leak report's secret is held: read, searched for identifiers, and
//! dropped, all during parsing.

use super::identifiers::{self, Identifiers};
use serde::de::{self, Deserializer, Visitor};
use std::fmt;

/// A secret (or text holding one) from a leak report. It cannot be printed, serialized
/// or cloned; all it gives out is the identifiers found in it.
pub struct SecretText(String);

impl SecretText {
    /// The identifiers in the text; the text itself goes with `self`.
    pub fn identifiers(self) -> Identifiers {
        identifiers::find(&self.0)
    }

    /// The text itself when it is a GCP key id, 40 hex digits (what GitHub's
    /// `google_cloud_private_key_id` alerts hold); nothing otherwise.
    pub fn identifiers_as_hex_key(self) -> Option<String> {
        let text = self.0.trim();
        (text.len() == 40 && text.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| text.to_ascii_lowercase())
    }

    /// The text itself when it is a GUID (an Azure application or tenant id).
    pub fn into_guid(self) -> Option<String> {
        let text = self.0.trim();
        let shape = text.len() == 36
            && text.char_indices().all(|(i, c)| match i {
                8 | 13 | 18 | 23 => c == '-',
                _ => c.is_ascii_hexdigit(),
            });
        shape.then(|| text.to_ascii_lowercase())
    }

    /// The `clientId` and `tenantId` of an Azure detector's `RawV2`
    /// (`{"clientSecret":…,"clientId":…,"tenantId":…}`).
    pub fn azure_ids(self) -> (Option<String>, Option<String>) {
        let value: serde_json::Value = serde_json::from_str(&self.0).unwrap_or_default();
        let guid = |key: &str| {
            value
                .get(key)
                .and_then(serde_json::Value::as_str)
                .and_then(|v| SecretText(v.to_string()).into_guid())
        };
        (guid("clientId"), guid("tenantId"))
    }

    /// The text decoded from base64 (Nosey Parker's match groups), if it is base64.
    pub fn decode_base64(self) -> Option<SecretText> {
        use base64::Engine;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(self.0.trim())
            .ok()?;
        Some(SecretText(String::from_utf8_lossy(&bytes).into_owned()))
    }
}

impl fmt::Debug for SecretText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretText(<not shown>)")
    }
}

impl<'de> de::Deserialize<'de> for SecretText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Text;
        impl<'de> Visitor<'de> for Text {
            type Value = SecretText;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<SecretText, E> {
                Ok(SecretText(v.to_string()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<SecretText, E> {
                Ok(SecretText(v))
            }
            fn visit_unit<E: de::Error>(self) -> Result<SecretText, E> {
                Ok(SecretText(String::new()))
            }
            fn visit_none<E: de::Error>(self) -> Result<SecretText, E> {
                Ok(SecretText(String::new()))
            }
            // Anything else (a number, a map) is searched as its JSON text, never echoed.
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<SecretText, A::Error> {
                let value: serde_json::Value =
                    de::Deserialize::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(SecretText(value.to_string()))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<SecretText, A::Error> {
                let value: serde_json::Value =
                    de::Deserialize::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
                Ok(SecretText(value.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<SecretText, E> {
                Ok(SecretText(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<SecretText, E> {
                Ok(SecretText(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<SecretText, E> {
                Ok(SecretText(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<SecretText, E> {
                Ok(SecretText(v.to_string()))
            }
        }
        deserializer.deserialize_any(Text)
    }
}

/// A JSON error's message without any value it quotes (serde quotes the string it
/// could not take: in a leak report, that could be a secret).
pub fn describe(error: &serde_json::Error) -> String {
    let mut message = error.to_string();
    if let Some(i) = message.rfind(" at line ") {
        message.truncate(i);
    }
    let mut out = String::with_capacity(message.len());
    let mut quoted = false;
    for c in message.chars() {
        match (c, quoted) {
            ('"', false) => {
                quoted = true;
                out.push_str("<value not shown>");
            }
            ('"', true) => quoted = false,
            (_, true) => {}
            (c, false) => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_never_quote_a_value() {
        let err = serde_json::from_str::<u64>("\"wJalrXUtnFEMI/K7MDENG\"")
            .err()
            .map(|e| describe(&e))
            .unwrap_or_default();
        assert!(!err.contains("wJalr"), "{err}");
        assert!(err.contains("invalid type"), "{err}");
    }

    #[test]
    fn debug_hides_the_text() {
        let secret: SecretText =
            serde_json::from_str("\"ghp_abcdefghijklmnopqrstuvwxyz0123456789\"")
                .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(format!("{secret:?}"), "SecretText(<not shown>)");
    }
}
