//! IPC commands: the UI's only way into Rust.
//!
//! Every command returns `Result<T, IpcError>`, so a failure reaches the UI as `{code, message}`
//! JSON. The UI branches on `code` and shows `message`, never parsing the text.

use std::ffi::OsString;
use std::path::PathBuf;

use serde::Serialize;

use crate::error::{ErrorCode, IpcError};
use crate::state::AppState;

/// Overrides the per-user data directory. The CLI honours the same variable with the same rule, so
/// both front ends always open the same library.
pub const DATA_DIR_ENV: &str = "CATENA_DATA_DIR";

/// What the UI needs to show about the running app.
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct AppInfo {
    pub version: String,
    /// Lossily converted: the UI only displays it, and a non-UTF-8 path should not fail the call.
    pub data_dir: String,
}

/// Reports the app version and the data directory the library lives in.
#[tauri::command]
pub fn app_info(state: tauri::State<'_, AppState>) -> Result<AppInfo, IpcError> {
    let data_dir = state.data_dir()?;
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
}
