//! The store's one error type.

/// What went wrong in a store call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A row with the same key (or a unique field such as an email) already exists.
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// The row an update or child insert refers to does not exist.
    #[error("not found: {0}")]
    NotFound(&'static str),
    /// Stored data could not be decoded (a bug or a foreign write); never silently skipped.
    #[error("corrupt row in {table}: {source}")]
    Corrupt {
        /// Table the row came from.
        table: &'static str,
        /// Decode failure.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The database refused or failed (IO, lock, schema).
    #[error("backend error: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Result alias for store calls.
pub type StoreResult<T> = Result<T, StoreError>;
