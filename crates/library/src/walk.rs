//! Expands the paths a user gives into the files to ingest, and decides which files inside a
//! folder belong to the library.
//!
//! Inside a folder (given to `ingest` or watched) a file is left out when its name or a folder
//! between it and the root starts with a dot, when a `.catenaignore` file (gitignore syntax) in
//! the root or any folder on the way matches it, or — quietly, only counted — when it is of a
//! type Catena does not read. A file named directly is always read, so that an unsupported one
//! is reported as such.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use ignore::gitignore::{Gitignore, GitignoreBuilder};

/// The name of the ignore file honoured inside folders.
pub const IGNORE_FILE: &str = ".catenaignore";

/// A file found under the user's paths, or a path that could not be read.
#[derive(Debug)]
pub(crate) enum Found {
    File { path: PathBuf, size: u64, mtime_ns: Option<i64> },
    Missing { path: PathBuf, error: String },
}

/// What a walk found.
#[derive(Debug, Default)]
pub(crate) struct Scan {
    /// Files to read, in a stable order, and paths that could not be read.
    pub found: Vec<Found>,
    /// The folders among the roots (absolute).
    pub dirs: Vec<PathBuf>,
    /// Files inside folders left out because Catena does not read their type.
    pub unsupported: u64,
}

impl Scan {
    /// The files found, as the catalog writes their paths.
    pub fn file_paths(&self) -> std::collections::HashSet<String> {
        self.found
            .iter()
            .filter_map(|f| match f {
                Found::File { path, .. } => Some(path.to_string_lossy().into_owned()),
                Found::Missing { .. } => None,
            })
            .collect()
    }
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

/// Why a path inside a folder is not part of the library.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Read it.
    Take,
    /// Hidden, or matched by a `.catenaignore`.
    Ignored,
    /// A file of a type Catena does not read.
    Unsupported,
}

/// The rules of one folder root: hidden entries, `.catenaignore` files (each read once per
/// filter: a filter lives for one scan or one batch of changes) and supported types.
#[derive(Debug)]
pub(crate) struct Filter {
    root: PathBuf,
    ignores: Mutex<HashMap<PathBuf, Option<Arc<Gitignore>>>>,
}

impl Filter {
    pub(crate) fn new(root: &Path) -> Filter {
        Filter { root: root.to_path_buf(), ignores: Mutex::new(HashMap::new()) }
    }

    fn ignore_file(&self, dir: &Path) -> Option<Arc<Gitignore>> {
        let mut cache = self.ignores.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .entry(dir.to_path_buf())
            .or_insert_with(|| {
                let file = dir.join(IGNORE_FILE);
                if !file.is_file() {
                    return None;
                }
                let mut b = GitignoreBuilder::new(dir);
                // A bad line is skipped; the others still apply.
                let _ = b.add(&file);
                b.build().ok().map(Arc::new)
            })
            .clone()
    }

    /// Judges a path at or under the root; `is_dir` says whether it is a folder. Paths outside
    /// the root are ignored.
    pub(crate) fn verdict(&self, path: &Path, is_dir: bool) -> Verdict {
        let Ok(rel) = path.strip_prefix(&self.root) else { return Verdict::Ignored };
        if rel.components().any(|c| c.as_os_str().to_string_lossy().starts_with('.')) {
            return Verdict::Ignored;
        }
        // The deepest ignore file with an opinion decides (gitignore's precedence).
        let dirs = path.ancestors().skip(1).take_while(|d| d.starts_with(&self.root));
        for dir in dirs {
            let Some(gi) = self.ignore_file(dir) else { continue };
            if !path.starts_with(gi.path()) {
                continue;
            }
            let m = gi.matched_path_or_any_parents(path, is_dir);
            if m.is_ignore() {
                return Verdict::Ignored;
            }
            if m.is_whitelist() {
                break;
            }
        }
        if !is_dir && extract::Format::from_path(path).is_none() {
            return Verdict::Unsupported;
        }
        Verdict::Take
    }
}

impl Scan {
    /// Turns every file whose real path (symlinks resolved) is not under one of `roots` (given
    /// canonical) into a failure that says so: a link inside an allowed folder that leads out
    /// of it is not read.
    pub(crate) fn confine(&mut self, roots: &[PathBuf]) {
        for found in &mut self.found {
            let Found::File { path, .. } = found else { continue };
            let inside = std::fs::canonicalize(&*path).is_ok_and(|real| roots.iter().any(|r| real.starts_with(r)));
            if !inside {
                let path = std::mem::take(path);
                *found = Found::Missing { path, error: "refused: the file lies outside the allowed folders".into() };
            }
        }
    }
}

/// Walks `roots` recursively (without following symlinked directories, leaving out what the
/// folder's [`Filter`] leaves out) and returns every file once, in a stable order, plus the
/// folder roots.
pub(crate) fn walk(roots: &[PathBuf]) -> Scan {
    let mut scan = Scan::default();
    let mut seen = std::collections::HashSet::new();
    for root in roots {
        let abs = absolute(root);
        let meta = match std::fs::metadata(&abs) {
            Ok(m) => m,
            Err(e) => {
                scan.found.push(Found::Missing { path: abs, error: format!("cannot read: {}", io_reason(&e)) });
                continue;
            }
        };
        if meta.is_file() {
            if seen.insert(abs.clone()) {
                scan.found.push(Found::File { size: meta.len(), mtime_ns: mtime_ns(&meta), path: abs });
            }
            continue;
        }
        scan.dirs.push(abs.clone());
        let filter = Filter::new(&abs);
        walk_dir(&abs, &filter, &mut scan, &mut seen);
    }
    scan
}

/// Walks one folder under a root with that root's filter.
pub(crate) fn walk_dir(dir: &Path, filter: &Filter, scan: &mut Scan, seen: &mut std::collections::HashSet<PathBuf>) {
    // Iterative, so deep trees cannot overflow the stack.
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) => {
                scan.found.push(Found::Missing { path: dir, error: format!("cannot list folder: {}", io_reason(&e)) });
                continue;
            }
        };
        let mut children: Vec<_> = entries.filter_map(|e| e.ok()).collect();
        children.sort_by_key(|e| e.file_name());
        // Reverse so the stack pops in name order.
        for entry in children.into_iter().rev() {
            let Ok(ft) = entry.file_type() else { continue };
            let path = entry.path();
            if ft.is_dir() {
                if filter.verdict(&path, true) == Verdict::Take {
                    stack.push(path);
                }
            } else if ft.is_file() || ft.is_symlink() {
                match filter.verdict(&path, false) {
                    Verdict::Take => {}
                    Verdict::Ignored => continue,
                    Verdict::Unsupported => {
                        scan.unsupported += 1;
                        continue;
                    }
                }
                match std::fs::metadata(&path) {
                    Ok(m) if m.is_file() => {
                        if seen.insert(path.clone()) {
                            scan.found.push(Found::File { size: m.len(), mtime_ns: mtime_ns(&m), path });
                        }
                    }
                    Ok(_) => {}
                    Err(e) => {
                        scan.found.push(Found::Missing { path, error: format!("cannot read: {}", io_reason(&e)) })
                    }
                }
            }
        }
    }
}

/// The files behind paths that changed inside a watched folder: a file that exists and belongs
/// to the library, every such file of a folder that exists; nothing for a path that is gone.
pub(crate) fn changed(filter: &Filter, paths: &[PathBuf]) -> Scan {
    let mut scan = Scan::default();
    let mut seen = std::collections::HashSet::new();
    for path in paths {
        let Ok(meta) = std::fs::metadata(path) else { continue };
        if meta.is_dir() {
            if filter.verdict(path, true) == Verdict::Take {
                walk_dir(path, filter, &mut scan, &mut seen);
            }
            continue;
        }
        match filter.verdict(path, false) {
            Verdict::Take => {
                if seen.insert(path.clone()) {
                    scan.found.push(Found::File { size: meta.len(), mtime_ns: mtime_ns(&meta), path: path.clone() });
                }
            }
            Verdict::Ignored => {}
            Verdict::Unsupported => scan.unsupported += 1,
        }
    }
    scan
}

pub(crate) fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string().to_lowercase(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn hidden_ignored_and_unsupported_files_are_left_out() {
        let dir = tempfile::tempdir().unwrap();
        let root = absolute(dir.path());
        let w = |p: &str, s: &str| {
            let p = root.join(p);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, s).unwrap();
        };
        w(".catenaignore", "drafts/\n*.log.txt\n!keep.log.txt\n");
        w("a.md", "a");
        w("notes.xyz", "x");
        w(".hidden.md", "h");
        w(".git/config.txt", "g");
        w("drafts/b.md", "b");
        w("x.log.txt", "l");
        w("keep.log.txt", "k");
        w("sub/.catenaignore", "c.md\n");
        w("sub/c.md", "c");
        w("sub/d.md", "d");
        let scan = walk(std::slice::from_ref(&root));
        let mut names: Vec<String> = scan
            .found
            .iter()
            .filter_map(|f| match f {
                Found::File { path, .. } => Some(path.strip_prefix(&root).unwrap().display().to_string()),
                Found::Missing { .. } => None,
            })
            .collect();
        names.sort();
        assert_eq!(names, vec!["a.md", "keep.log.txt", "sub/d.md"]);
        assert_eq!(scan.unsupported, 1);
        let f = Filter::new(&root);
        assert_eq!(f.verdict(&root.join("drafts/new.md"), false), Verdict::Ignored);
        assert_eq!(f.verdict(&root.join("sub/c.md"), false), Verdict::Ignored);
        assert_eq!(f.verdict(&root.join("clip.mp4"), false), Verdict::Unsupported);
        assert_eq!(f.verdict(&root.join("e.pdf"), false), Verdict::Take);
    }
}
