//! IPC commands: the UI's only way into Rust.
//!
//! Every command returns `Result<T, IpcError>`, so a failure reaches the UI as `{code, message}`
//! JSON. The UI branches on `code` and shows `message`, never parsing the text.

use std::ffi::OsString;
use std::path::PathBuf;

use serde::Serialize;

/// Overrides the per-user data directory. The CLI honours the same variable with the same rule, so
/// both front ends always open the same library.
pub const DATA_DIR_ENV: &str = "CATENA_DATA_DIR";

/// What the UI needs to show about the running app.
#[derive(Debug, Serialize)]
pub struct AppInfo {
    pub version: String,
    /// Lossily converted: the UI only displays it, and a non-UTF-8 path should not fail the call.
    pub data_dir: String,
}

/// The error half of every command, serialised as `{"code": "...", "message": "..."}`.
#[derive(Debug, Serialize)]
pub struct IpcError {
    pub code: ErrorCode,
    pub message: String,
}

/// Stable error codes: a contract with the UI. Add one only when the UI needs to branch on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ErrorCode {
    /// Neither `CATENA_DATA_DIR` nor a home directory gives a place for the library.
    DataDirUnavailable,
}

/// Reports the app version and the data directory the library lives in.
#[tauri::command]
pub fn app_info() -> Result<AppInfo, IpcError> {
    let data_dir = data_dir_from(std::env::var_os(DATA_DIR_ENV))?;
    Ok(AppInfo { version: env!("CARGO_PKG_VERSION").to_owned(), data_dir: data_dir.to_string_lossy().into_owned() })
}

/// The data-directory rule shared with the CLI: a non-empty `CATENA_DATA_DIR` wins, otherwise the
/// platform's per-user data directory for `org.Catena.catena` (`~/.local/share/catena` on Linux).
///
/// Takes the override as an argument so tests need not mutate the process environment.
pub fn data_dir_from(env_override: Option<OsString>) -> Result<PathBuf, IpcError> {
    if let Some(dir) = env_override.filter(|dir| !dir.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("org", "Catena", "catena").map(|dirs| dirs.data_dir().to_path_buf()).ok_or_else(
        || IpcError {
            code: ErrorCode::DataDirUnavailable,
            message: format!("cannot find a per-user data directory (no home directory); set {DATA_DIR_ENV}"),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn override_wins() {
        let dir = data_dir_from(Some("/srv/catena".into())).expect("override is used");
        assert_eq!(dir, PathBuf::from("/srv/catena"));
    }

    #[test]
    fn empty_override_falls_back_to_the_platform_dir() {
        // Test machines have a home directory, so the fallback resolves.
        let dir = data_dir_from(Some(OsString::new())).expect("platform dir resolves");
        assert!(dir.ends_with("catena"), "{}", dir.display());
        assert_eq!(dir, data_dir_from(None).expect("platform dir resolves"));
    }

    #[test]
    fn errors_serialise_as_code_and_message() {
        let error = IpcError { code: ErrorCode::DataDirUnavailable, message: "no home".to_owned() };
        let json = serde_json::to_value(&error).expect("serialisable");
        assert_eq!(json, serde_json::json!({"code": "DataDirUnavailable", "message": "no home"}));
    }
}
