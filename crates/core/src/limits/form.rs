//! The 50035 form-error model: a path into the request body, a code and a message per error,
//! merged into Discord's nested `errors` object.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use serde_json::{Map, Value, json};

use super::codes;

/// One step of a path into the request body.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PathSegment {
    /// An object key.
    Field(Cow<'static, str>),
    /// An array index; written as a string key (`"0"`) in the JSON tree, as Discord does.
    Index(usize),
}

impl PathSegment {
    /// An object key known at compile time; `const` so paths can be written as constants.
    pub const fn field(name: &'static str) -> Self {
        Self::Field(Cow::Borrowed(name))
    }

    fn key(&self) -> Cow<'_, str> {
        match self {
            Self::Field(name) => Cow::Borrowed(name),
            Self::Index(index) => Cow::Owned(index.to_string()),
        }
    }
}

impl From<&'static str> for PathSegment {
    fn from(name: &'static str) -> Self {
        Self::field(name)
    }
}

impl From<String> for PathSegment {
    fn from(name: String) -> Self {
        Self::Field(Cow::Owned(name))
    }
}

impl From<usize> for PathSegment {
    fn from(index: usize) -> Self {
        Self::Index(index)
    }
}

impl fmt::Display for PathSegment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key())
    }
}

/// One problem with one field of a request body (or with the whole body, for an empty path).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct FormError {
    path: Vec<PathSegment>,
    code: &'static str,
    message: String,
}

impl FormError {
    /// An error at `path` with one of the [`codes`] and a human-readable message.
    pub fn new(path: Vec<PathSegment>, code: &'static str, message: impl Into<String>) -> Self {
        Self { path, code, message: message.into() }
    }

    /// BASE_TYPE_REQUIRED at `path`.
    pub fn required(path: &[PathSegment]) -> Self {
        Self::new(path.to_vec(), codes::BASE_TYPE_REQUIRED, "This field is required")
    }

    /// Where the error is; empty for a request-level error.
    pub fn path(&self) -> &[PathSegment] {
        &self.path
    }

    /// The machine-readable code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The human-readable message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The same error nested under `prefix`, for reusing a validator inside a larger body
    /// (e.g. an embed check under `["message"]`).
    #[must_use]
    pub fn prefixed(mut self, prefix: &[PathSegment]) -> Self {
        self.path.splice(0..0, prefix.iter().cloned());
        self
    }
}

/// Dotted path then message, the way discord.py prints form errors ("In embeds.0.title: …").
impl fmt::Display for FormError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.path.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "{segment}")?;
        }
        if !self.path.is_empty() {
            f.write_str(": ")?;
        }
        f.write_str(&self.message)
    }
}

/// All problems found in one request body; empty means valid.
#[derive(Debug, Clone, Default, PartialEq, Eq, thiserror::Error)]
#[error("Invalid Form Body ({} error(s))", .0.len())]
pub struct FormErrors(Vec<FormError>);

impl FormErrors {
    /// No errors yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one error.
    pub fn push(&mut self, error: FormError) {
        self.0.push(error);
    }

    /// Adds the error of a validator's result, if any, so checks can be chained without `?`
    /// stopping at the first failure.
    pub fn check(&mut self, result: Result<(), FormError>) {
        if let Err(error) = result {
            self.0.push(error);
        }
    }

    /// Whether no error was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many errors were recorded.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The errors in the order they were found.
    pub fn iter(&self) -> std::slice::Iter<'_, FormError> {
        self.0.iter()
    }

    /// `Ok` when empty, else `Err(self)`, for handlers ending in `?`.
    pub fn into_result(self) -> Result<(), Self> {
        if self.is_empty() { Ok(()) } else { Err(self) }
    }

    /// Discord's nested `errors` object: each path becomes nested keys (array indices as
    /// string keys), each error an entry `{code, message}` of the `_errors` list at its end,
    /// and errors sharing a prefix share the branch. Errors with an empty path go in the
    /// top-level `_errors`.
    ///
    /// A body field literally named `_errors` would collide with the list; Discord has none.
    pub fn to_errors_json(&self) -> Value {
        let mut root = Node::default();
        for error in &self.0 {
            let mut node = &mut root;
            for segment in &error.path {
                node = node.children.entry(segment.key().into_owned()).or_default();
            }
            node.errors.push(json!({ "code": error.code, "message": error.message }));
        }
        root.into_json()
    }
}

impl From<FormError> for FormErrors {
    fn from(error: FormError) -> Self {
        Self(vec![error])
    }
}

impl Extend<FormError> for FormErrors {
    fn extend<I: IntoIterator<Item = FormError>>(&mut self, iter: I) {
        self.0.extend(iter);
    }
}

impl IntoIterator for FormErrors {
    type Item = FormError;
    type IntoIter = std::vec::IntoIter<FormError>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a FormErrors {
    type Item = &'a FormError;
    type IntoIter = std::slice::Iter<'a, FormError>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// The error tree before it becomes JSON; building it typed avoids ever meeting a JSON value
/// of the wrong kind halfway down a path.
#[derive(Default)]
struct Node {
    errors: Vec<Value>,
    children: BTreeMap<String, Node>,
}

impl Node {
    fn into_json(self) -> Value {
        let mut map = Map::new();
        for (key, child) in self.children {
            map.insert(key, child.into_json());
        }
        if !self.errors.is_empty() {
            map.insert("_errors".to_owned(), Value::Array(self.errors));
        }
        Value::Object(map)
    }
}
