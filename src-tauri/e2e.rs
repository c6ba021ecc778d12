//! Test opt-ins for the end-to-end tests of the real window (`ui/e2e/`), which drive the app
//! through WebDriver. Two things a WebDriver session cannot do are an OS drag-and-drop onto the
//! window and a choice in the native save dialog, so two environment variables, read once at
//! start-up and logged on stderr when set, stand in for them:
//!
//! - `CATENA_E2E_DROP=/a:/b` drops those paths on the window as soon as the page starts watching
//!   for drops: they go through [`AppState::on_drop`], exactly as a real drop does (the paths are
//!   granted and the page receives the same hover and drop events).
//! - `CATENA_E2E_SAVE_DIR=/dir` makes the export's save dialog answer with the suggested file name
//!   in that folder instead of opening.
//!
//! Without them (every normal start) nothing here does anything.

use std::path::PathBuf;
use std::sync::Mutex;

use crate::state::{AppState, DropEvent};

pub const DROP_ENV: &str = "CATENA_E2E_DROP";
pub const SAVE_DIR_ENV: &str = "CATENA_E2E_SAVE_DIR";

/// The opt-ins this process started with.
#[derive(Debug, Default)]
pub struct Hooks {
    /// Paths to drop once, taken by the first page that watches for drops.
    drop: Mutex<Option<Vec<PathBuf>>>,
    save_dir: Option<PathBuf>,
}

impl Hooks {
    /// Reads the opt-ins from the environment; `None` when neither is set.
    pub fn from_env() -> Option<Hooks> {
        let drop = std::env::var_os(DROP_ENV)
            .map(|v| std::env::split_paths(&v).filter(|p| !p.as_os_str().is_empty()).collect::<Vec<_>>())
            .filter(|paths| !paths.is_empty());
        let save_dir = std::env::var_os(SAVE_DIR_ENV).filter(|v| !v.is_empty()).map(PathBuf::from);
        if drop.is_none() && save_dir.is_none() {
            return None;
        }
        if let Some(paths) = &drop {
            eprintln!("catena: {DROP_ENV} is set: dropping {} paths on the window when the page loads", paths.len());
        }
        if let Some(dir) = &save_dir {
            eprintln!("catena: {SAVE_DIR_ENV} is set: exports are saved in {} without a dialog", dir.display());
        }
        Some(Hooks { drop: Mutex::new(drop), save_dir })
    }

    /// Delivers the scripted drop, once, through the same path as a real one.
    pub fn deliver_drop(&self, state: &AppState) {
        let paths = self.drop.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(paths) = paths {
            eprintln!("catena: dropping {} paths from {DROP_ENV}", paths.len());
            state.on_drop(DropEvent::Hover { count: paths.len() });
            state.on_drop(DropEvent::Dropped {
                paths: paths.iter().map(|p| p.to_string_lossy().into_owned()).collect(),
            });
        }
    }

    /// Where the save dialog would have saved `file_name`, when the dialog is replaced.
    pub fn save_path(&self, file_name: &str) -> Option<PathBuf> {
        let path = self.save_dir.as_ref()?.join(file_name);
        eprintln!("catena: saving the export to {} ({SAVE_DIR_ENV})", path.display());
        Some(path)
    }
}
