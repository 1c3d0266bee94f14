//! [`Text`]: an immutable shared string for the values that repeat across an inventory
//! (scope ids and names, tag keys and values, attribute keys, regions), so that a
//! million entities in one account hold its id once, not a million times.

use crate::hash::FastSet;
use serde::de::{Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use std::borrow::{Borrow, Cow};
use std::cell::RefCell;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// An immutable string, cheap to clone. Strings read from an inventory are interned
/// per thread: equal values share one allocation. Compares, hashes, orders and
/// serializes as the string it holds.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Text(Arc<str>);

/// Distinct strings each parsing thread remembers; past it, new values are not shared
/// (a value that is unique per entity would only grow the table).
const INTERNED_PER_THREAD: usize = 1 << 16;
/// Longer strings are rarely repeated: they are not looked up.
const INTERNED_MAX_LEN: usize = 128;

thread_local! {
    static INTERNED: RefCell<FastSet<Arc<str>>> = RefCell::new(FastSet::default());
}

impl Text {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `text`, sharing the allocation of an equal string this thread read before.
    pub fn interned(text: &str) -> Text {
        if text.len() > INTERNED_MAX_LEN {
            return Text(Arc::from(text));
        }
        INTERNED.with(|cell| {
            let Ok(mut set) = cell.try_borrow_mut() else {
                return Text(Arc::from(text));
            };
            if let Some(shared) = set.get(text) {
                return Text(Arc::clone(shared));
            }
            let owned: Arc<str> = Arc::from(text);
            if set.len() < INTERNED_PER_THREAD {
                set.insert(Arc::clone(&owned));
            }
            Text(owned)
        })
    }
}

impl Default for Text {
    fn default() -> Self {
        Text(Arc::from(""))
    }
}

impl Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for Text {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl From<&str> for Text {
    fn from(text: &str) -> Self {
        Text(Arc::from(text))
    }
}

impl From<String> for Text {
    fn from(text: String) -> Self {
        Text(Arc::from(text))
    }
}

impl From<&String> for Text {
    fn from(text: &String) -> Self {
        Text(Arc::from(text.as_str()))
    }
}

impl From<&Text> for Text {
    fn from(text: &Text) -> Self {
        text.clone()
    }
}

impl From<Text> for String {
    fn from(text: Text) -> Self {
        text.0.to_string()
    }
}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl PartialEq<String> for Text {
    fn eq(&self, other: &String) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<Text> for str {
    fn eq(&self, other: &Text) -> bool {
        self == &*other.0
    }
}

impl PartialEq<Text> for &str {
    fn eq(&self, other: &Text) -> bool {
        *self == &*other.0
    }
}

impl PartialEq<Text> for String {
    fn eq(&self, other: &Text) -> bool {
        **self == *other.0
    }
}

impl Serialize for Text {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl Visitor<'_> for TextVisitor {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Text, E> {
                Ok(Text::interned(text))
            }
        }
        deserializer.deserialize_str(TextVisitor)
    }
}

impl schemars::JsonSchema for Text {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        String::schema_name()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        String::json_schema(generator)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_strings_read_on_one_thread_share_one_allocation() {
        let read: Vec<Text> =
            serde_json::from_str(r#"["prod", "prod", "dev"]"#).unwrap_or_else(|e| panic!("{e}"));
        assert!(Arc::ptr_eq(&read[0].0, &read[1].0));
        assert_eq!(read[2], "dev");
        assert_eq!(
            serde_json::to_string(&read).unwrap_or_default(),
            r#"["prod","prod","dev"]"#
        );
    }

    #[test]
    fn long_strings_are_not_remembered() {
        let long = "x".repeat(INTERNED_MAX_LEN + 1);
        assert!(!Arc::ptr_eq(
            &Text::interned(&long).0,
            &Text::interned(&long).0
        ));
        assert_eq!(Text::interned(&long), long);
    }

    #[test]
    fn compares_and_orders_as_its_string() {
        let (a, b) = (Text::from("a"), Text::from(String::from("b")));
        assert!(a < b);
        assert_eq!(a, "a");
        assert_eq!("a", a);
        let owned = String::from("a");
        assert_eq!(a, owned);
        assert_eq!(format!("{a} {b:?}"), r#"a "b""#);
        assert_eq!(String::from(b), "b");
    }
}
