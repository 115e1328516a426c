//! The core's error type: every variant reads as one clear sentence, in
//! Chinese then English; the sentences live in `crate::catalogue`, and
//! `Invalid`, `Denied` and `NotFound` carry one already made from there.

use std::path::PathBuf;

use crate::catalogue::{msg, Msg};

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{}", msg(Msg::StoreFailed, &[("error", .0)]))]
    Store(#[from] sled::Error),
    #[error("{}", msg(Msg::StoreCorrupt, &[("error", .0)]))]
    Corrupt(String),
    #[error("{}", msg(Msg::SchemaTooNew, &[("path", &.path.display()), ("found", .found), ("supported", .supported)]))]
    SchemaTooNew { path: PathBuf, found: u32, supported: u32 },
    #[error("{0}")]
    Invalid(String),
    #[error("{}", msg(Msg::UnknownOrg, &[("code", .0)]))]
    UnknownOrg(String),
    #[error("{0}")]
    Denied(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{}", msg(Msg::ConfigError, &[("path", &.path.display()), ("message", .message)]))]
    Config { path: PathBuf, message: String },
    #[error("{}", msg(Msg::IoError, &[("error", .0)]))]
    Io(#[from] std::io::Error),
}

impl Error {
    /// The HTTP status an error is answered with (the admin API, the web
    /// console); the command line maps it back.
    pub fn http_status(&self) -> axum::http::StatusCode {
        use axum::http::StatusCode;
        match self {
            Error::NotFound(_) | Error::UnknownOrg(_) => StatusCode::NOT_FOUND,
            Error::Denied(_) => StatusCode::FORBIDDEN,
            Error::Invalid(_) | Error::Config { .. } => StatusCode::BAD_REQUEST,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn invalid(msg: impl Into<String>) -> Self {
        Error::Invalid(msg.into())
    }

    pub fn denied(msg: impl Into<String>) -> Self {
        Error::Denied(msg.into())
    }

    pub fn not_found(msg: impl Into<String>) -> Self {
        Error::NotFound(msg.into())
    }
}

impl From<sled::transaction::TransactionError<Error>> for Error {
    fn from(e: sled::transaction::TransactionError<Error>) -> Self {
        match e {
            sled::transaction::TransactionError::Abort(e) => e,
            sled::transaction::TransactionError::Storage(e) => Error::Store(e),
        }
    }
}
