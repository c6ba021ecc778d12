//! The error half of every command, serialised as `{"code": "...", "message": "..."}`.
//!
//! The UI branches on `code` (a stable contract) and shows `message` (written for people).

use serde::Serialize;

/// A failed command.
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct IpcError {
    pub code: ErrorCode,
    pub message: String,
}

/// Stable error codes: a contract with the UI. Add one only when the UI needs to branch on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub enum ErrorCode {
    /// Neither `CATENA_DATA_DIR` nor a home directory gives a place for the library.
    DataDirUnavailable,
    /// Another Catena process holds the library's writer: reading works, adding and removing do not.
    LibraryBusy,
    /// The library is read-only (its folder is not writable, or `CATENA_READ_ONLY` is set):
    /// reading works, adding and removing do not.
    LibraryReadOnly,
    /// The catalog or the index failed.
    LibraryFailed,
    /// A document, run or table that is not (or no longer) there.
    NotFound,
    /// A path the user did not hand to the app (by dropping it or picking it in a dialog).
    PathNotGranted,
    /// The request itself is wrong (an empty question, a threshold outside [0, 1], …).
    InvalidInput,
    /// A question is already running; cancel it or wait.
    RunInProgress,
    /// The user cancelled.
    Cancelled,
    /// The model provider refused the credentials.
    ProviderAuth,
    /// The model settings cannot be used (bad URL, unknown provider, no model).
    LlmConfig,
    /// The OS keyring cannot be used.
    KeyringUnavailable,
    /// The run could not be rendered in the chosen format.
    ExportFailed,
    /// Reading or writing a file failed.
    Io,
    /// Downloading the embedding model failed; what arrived is kept, so trying again resumes.
    DownloadFailed,
    /// A bug.
    Internal,
}

impl IpcError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> IpcError {
        IpcError { code, message: message.into() }
    }

    pub fn invalid(message: impl Into<String>) -> IpcError {
        IpcError::new(ErrorCode::InvalidInput, message)
    }

    pub fn not_found(message: impl Into<String>) -> IpcError {
        IpcError::new(ErrorCode::NotFound, message)
    }

    pub fn internal(message: impl Into<String>) -> IpcError {
        IpcError::new(ErrorCode::Internal, message)
    }
}

impl From<library::LibraryError> for IpcError {
    fn from(e: library::LibraryError) -> IpcError {
        use library::LibraryError as L;
        let code = match &e {
            L::Busy(_) => ErrorCode::LibraryBusy,
            L::ReadOnly | L::ReadOnlyDir(_) => ErrorCode::LibraryReadOnly,
            L::NotFound(_) | L::NoSource(_) => ErrorCode::NotFound,
            L::NotAFolder(_) => ErrorCode::InvalidInput,
            L::DataDir { .. } => ErrorCode::DataDirUnavailable,
            L::Store(_) | L::Index(_) | L::IndexMissing { .. } | L::IndexDamaged { .. } => ErrorCode::LibraryFailed,
            L::Internal(_) => ErrorCode::Internal,
        };
        let message = match e {
            L::ReadOnly => "the library was opened read-only (another Catena process was writing to it, or its \
                            folder is not writable), so nothing was changed"
                .to_owned(),
            other => other.to_string(),
        };
        IpcError { code, message }
    }
}

/// Why a change to a library opened without its writer is refused, saying that nothing changed:
/// read-only for `cause` when the data directory `dir` cannot be written, else busy (another
/// Catena process held the writer when the app opened it).
pub fn refused_change(dir: &std::path::Path, cause: Option<library::ReadOnlyCause>) -> IpcError {
    match cause {
        Some(cause) => IpcError::new(
            ErrorCode::LibraryReadOnly,
            format!(
                "the library at {} is read-only because {cause}, so nothing was added or changed \
                 (searching and asking still work)",
                dir.display()
            ),
        ),
        None => IpcError::new(
            ErrorCode::LibraryBusy,
            "another Catena process is writing to this library, so nothing was added or changed; try again once it \
             has finished (restart the app if this persists)",
        ),
    }
}

impl From<store::StoreError> for IpcError {
    fn from(e: store::StoreError) -> IpcError {
        IpcError::new(ErrorCode::LibraryFailed, e.to_string())
    }
}

impl From<secrets::SecretError> for IpcError {
    fn from(e: secrets::SecretError) -> IpcError {
        use secrets::SecretError as S;
        let code = match e {
            S::InvalidProvider | S::InvalidKey(_) => ErrorCode::InvalidInput,
            S::Unavailable(_) | S::Platform(_) => ErrorCode::KeyringUnavailable,
        };
        IpcError { code, message: e.to_string() }
    }
}

impl From<llm::ConfigError> for IpcError {
    fn from(e: llm::ConfigError) -> IpcError {
        IpcError::new(ErrorCode::LlmConfig, e.to_string())
    }
}

impl From<session::SettingsError> for IpcError {
    fn from(e: session::SettingsError) -> IpcError {
        let code = if e.key.starts_with("llm.") { ErrorCode::LlmConfig } else { ErrorCode::InvalidInput };
        IpcError::new(code, e.to_string())
    }
}

impl From<session::store::StoreError> for IpcError {
    fn from(e: session::store::StoreError) -> IpcError {
        match e {
            session::store::StoreError::Catalog(e) => e.into(),
            session::store::StoreError::Invalid(e) => e.into(),
        }
    }
}

impl From<session::ComposeError> for IpcError {
    fn from(e: session::ComposeError) -> IpcError {
        use session::ComposeError as C;
        match e {
            C::Settings(e) => e.into(),
            C::Web(e) => IpcError::invalid(format!("the web search settings cannot be used: {e}")),
            e @ (C::NoModelName { .. } | C::Model(_) | C::AgentNeedsModel) => {
                IpcError::new(ErrorCode::LlmConfig, format!("{e}: see Settings › Language model"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_serialise_as_code_and_message() {
        let error = IpcError::new(ErrorCode::DataDirUnavailable, "no home");
        let json = serde_json::to_value(&error).expect("serialisable");
        assert_eq!(json, serde_json::json!({"code": "DataDirUnavailable", "message": "no home"}));
    }

    #[test]
    fn a_refused_change_says_why_and_that_nothing_changed() {
        let dir = std::path::Path::new("/srv/library");
        let error = refused_change(dir, Some(library::ReadOnlyCause::NotWritable));
        assert_eq!(error.code, ErrorCode::LibraryReadOnly);
        for words in ["/srv/library is read-only", "not writable", "nothing was added or changed"] {
            assert!(error.message.contains(words), "{words}: {}", error.message);
        }
        assert!(!error.message.contains("another"), "{}", error.message);

        let error = refused_change(dir, Some(library::ReadOnlyCause::Requested));
        assert_eq!(error.code, ErrorCode::LibraryReadOnly);
        assert!(error.message.contains("read-only because CATENA_READ_ONLY is set"), "{}", error.message);

        let error = refused_change(dir, None);
        assert_eq!(error.code, ErrorCode::LibraryBusy);
        assert!(error.message.contains("another Catena process is writing"), "{}", error.message);
        assert!(error.message.contains("nothing was added or changed"), "{}", error.message);
    }
}
