use std::path::Path;

/// Why a file could not be read. `Display` is the one-line reason shown to the user and stored
/// in the catalog: lowercase, no trailing period.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    /// The file has no bytes.
    #[error("empty file (0 bytes)")]
    Empty,
    /// The file is over the size limit.
    #[error("file is {size} bytes, over the {limit}-byte limit")]
    TooLarge {
        /// File size.
        size: u64,
        /// Configured limit.
        limit: u64,
    },
    /// The extension is not one Catena reads.
    #[error("unsupported file type '.{extension}'")]
    UnknownFormat {
        /// The extension, without the dot.
        extension: String,
    },
    /// The content does not match the format its name claims (e.g. a PNG renamed `.txt`).
    #[error("not a valid {expected} file: {detail}")]
    WrongContent {
        /// The format the name claimed.
        expected: &'static str,
        /// What was found instead.
        detail: String,
    },
    /// The file is damaged beyond what the reader can recover.
    #[error("corrupt {format} file: {detail}")]
    Corrupt {
        /// Format name.
        format: &'static str,
        /// The reader's explanation.
        detail: String,
    },
    /// An encrypted document that does not open with an empty password.
    #[error("encrypted {format} file needs a password")]
    Encrypted {
        /// Format name.
        format: &'static str,
    },
    /// A ZIP container would decompress past the limit (a ZIP bomb, or simply too big).
    #[error("archive expands past the {limit}-byte limit (possible zip bomb)")]
    ZipBomb {
        /// Configured limit.
        limit: u64,
    },
    /// Markup nested deeper than the limit (a pathological or hostile file).
    #[error("html nested deeper than {limit} levels")]
    TooDeep {
        /// Configured limit.
        limit: usize,
    },
    /// The document was read but holds no text at all.
    #[error("{0}")]
    NoText(String),
    /// The read was cancelled (OCR checks between and during pages).
    #[error("cancelled")]
    Cancelled,
    /// The file could not be read from disk.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path being read.
        path: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

impl ExtractError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> ExtractError {
        ExtractError::Io { path: path.display().to_string(), source }
    }
}
