//! The core's error type: every variant reads as one clear sentence.

use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("storage error: {0}")]
    Store(#[from] sled::Error),
    #[error("the data in the store could not be read ({0}); it may be damaged")]
    Corrupt(String),
    #[error("the store at {path} has schema version {found}, newer than this treecast understands ({supported}); upgrade treecast")]
    SchemaTooNew { path: PathBuf, found: u32, supported: u32 },
    #[error("{0}")]
    Invalid(String),
    #[error("没有代码为 {0} 的组织。 No org has the code {0}.")]
    UnknownOrg(String),
    #[error("{0}")]
    Denied(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{path}: {message}")]
    Config { path: PathBuf, message: String },
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl Error {
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
