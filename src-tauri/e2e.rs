//! The one test opt-in of the end-to-end tests of the real window (`ui/e2e/`), which drive the app
//! through WebDriver. A WebDriver session cannot answer the native save dialog, so an environment
//! variable, read once at start-up and logged on stderr when set, stands in for it:
//!
//! - `CATENA_E2E_SAVE_DIR=/dir` makes the export's save dialog answer with the suggested file name
//!   in that folder instead of opening.
//!
//! (Drops need no opt-in: the tests drag files onto the window from a real drag source.)
//! Without it (every normal start) nothing here does anything.

use std::path::PathBuf;

pub const SAVE_DIR_ENV: &str = "CATENA_E2E_SAVE_DIR";

/// The opt-in this process started with.
#[derive(Debug, Default)]
pub struct Hooks {
    save_dir: Option<PathBuf>,
}

impl Hooks {
    /// Reads the opt-in from the environment; `None` when it is not set.
    pub fn from_env() -> Option<Hooks> {
        let save_dir = std::env::var_os(SAVE_DIR_ENV).filter(|v| !v.is_empty()).map(PathBuf::from)?;
        eprintln!("catena: {SAVE_DIR_ENV} is set: exports are saved in {} without a dialog", save_dir.display());
        Some(Hooks { save_dir: Some(save_dir) })
    }

    /// Where the save dialog would have saved `file_name`, when the dialog is replaced.
    pub fn save_path(&self, file_name: &str) -> Option<PathBuf> {
        let path = self.save_dir.as_ref()?.join(file_name);
        eprintln!("catena: saving the export to {} ({SAVE_DIR_ENV})", path.display());
        Some(path)
    }
}
