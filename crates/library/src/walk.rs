//! Expands the paths a user gives into the files to ingest.

use std::path::{Path, PathBuf};

/// A file found under the user's paths, or a path that could not be read.
#[derive(Debug)]
pub(crate) enum Found {
    File { path: PathBuf, size: u64, mtime_ns: Option<i64> },
    Missing { path: PathBuf, error: String },
}

/// Absolute form of a path without resolving symlinks of the final component's parents when
/// the path does not exist (so a removed file can still be named).
pub(crate) fn absolute(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf()))
}

fn mtime_ns(meta: &std::fs::Metadata) -> Option<i64> {
    let t = meta.modified().ok()?;
    let d = t.duration_since(std::time::UNIX_EPOCH).ok()?;
    i64::try_from(d.as_nanos()).ok()
}

/// Walks `roots` recursively (without following symlinked directories, skipping hidden entries
/// inside folders) and returns every file once, in a stable order, plus the folder roots.
pub(crate) fn walk(roots: &[PathBuf]) -> (Vec<Found>, Vec<PathBuf>) {
    let mut out = Vec::new();
    let mut dirs_given = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for root in roots {
        let abs = absolute(root);
        let meta = match std::fs::metadata(&abs) {
            Ok(m) => m,
            Err(e) => {
                out.push(Found::Missing { path: abs, error: format!("cannot read: {}", io_reason(&e)) });
                continue;
            }
        };
        if meta.is_file() {
            if seen.insert(abs.clone()) {
                out.push(Found::File { size: meta.len(), mtime_ns: mtime_ns(&meta), path: abs });
            }
            continue;
        }
        dirs_given.push(abs.clone());
        // Iterative, so deep trees cannot overflow the stack.
        let mut stack = vec![abs];
        while let Some(dir) = stack.pop() {
            let entries = match std::fs::read_dir(&dir) {
                Ok(e) => e,
                Err(e) => {
                    out.push(Found::Missing { path: dir, error: format!("cannot list folder: {}", io_reason(&e)) });
                    continue;
                }
            };
            let mut children: Vec<_> = entries.filter_map(|e| e.ok()).collect();
            children.sort_by_key(|e| e.file_name());
            // Reverse so the stack pops in name order.
            for entry in children.into_iter().rev() {
                if entry.file_name().to_string_lossy().starts_with('.') {
                    continue;
                }
                let Ok(ft) = entry.file_type() else { continue };
                let path = entry.path();
                if ft.is_dir() {
                    stack.push(path);
                } else if ft.is_file() || ft.is_symlink() {
                    match std::fs::metadata(&path) {
                        Ok(m) if m.is_file() => {
                            if seen.insert(path.clone()) {
                                out.push(Found::File { size: m.len(), mtime_ns: mtime_ns(&m), path });
                            }
                        }
                        Ok(_) => {}
                        Err(e) => out.push(Found::Missing { path, error: format!("cannot read: {}", io_reason(&e)) }),
                    }
                }
            }
        }
    }
    // Files of a folder come out in walk order; keep that (it is sorted per folder).
    (out, dirs_given)
}

pub(crate) fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string().to_lowercase(),
    }
}
