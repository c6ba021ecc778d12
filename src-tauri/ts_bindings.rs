//! The TypeScript side of the IPC contract, rendered from the Rust types: every type a command
//! returns or takes, every event a channel carries, and the error with its codes, together with
//! everything they contain, as one file, `ui/src/generated/ipc.ts`.
//!
//! The test below fails when that file differs from what the types render to. Regenerate it with
//! `scripts/gen-ipc-types` (which runs this test with `UPDATE_IPC_TYPES=1`).

use std::any::TypeId;
use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

use ts_rs::{Config, TS, TypeVisitor};

/// Where the rendered declarations live, relative to the repository root.
const GENERATED: &str = "ui/src/generated/ipc.ts";

/// Set to a non-empty value to write the file instead of comparing it.
const UPDATE_ENV: &str = "UPDATE_IPC_TYPES";

const HEADER: &str = "// Generated from the Rust types by src-tauri/ts_bindings.rs: do not edit.\n\
                      // Regenerate with `scripts/gen-ipc-types`.\n";

/// Declarations by TypeScript name, each with the Rust type it came from.
struct Declarations {
    cfg: Config,
    seen: HashSet<TypeId>,
    by_name: BTreeMap<String, (&'static str, String)>,
    clashes: Vec<String>,
}

impl Declarations {
    fn new() -> Declarations {
        // JSON numbers are JavaScript numbers: serde writes `u64` ids and counters as plain
        // numbers, never as `bigint`.
        Declarations {
            cfg: Config::new().with_large_int("number"),
            seen: HashSet::new(),
            by_name: BTreeMap::new(),
            clashes: Vec::new(),
        }
    }

    /// `T` and everything it refers to.
    fn add<T: TS + 'static + ?Sized>(&mut self) {
        self.visit::<T>();
    }

    fn render(&self) -> String {
        let mut out = String::from(HEADER);
        for (_, decl) in self.by_name.values() {
            out.push('\n');
            out.push_str(decl);
            out.push('\n');
        }
        out
    }
}

impl TypeVisitor for Declarations {
    fn visit<T: TS + 'static + ?Sized>(&mut self) {
        if !self.seen.insert(TypeId::of::<T>()) {
            return;
        }
        if T::output_path().is_some() {
            let name = T::ident(&self.cfg);
            let rust = std::any::type_name::<T>();
            let decl = format!("{}export {}", T::docs().unwrap_or_default(), T::decl(&self.cfg));
            if let Some((other, _)) = self.by_name.insert(name.clone(), (rust, decl)) {
                self.clashes.push(format!("{name}: {other} and {rust}"));
            }
        }
        T::visit_dependencies(self);
    }
}

/// Every type that crosses the bridge.
fn declarations() -> Declarations {
    let mut d = Declarations::new();
    // The error half of every command.
    d.add::<crate::error::IpcError>();
    // App.
    d.add::<crate::commands::AppInfo>();
    d.add::<crate::perf::UiReady>();
    // Library.
    d.add::<crate::library::DocumentDto>();
    d.add::<crate::library::IngestEventDto>();
    d.add::<crate::library::IngestSummaryDto>();
    d.add::<crate::library::HitDto>();
    d.add::<crate::library::OcrBoxDto>();
    d.add::<crate::library::TableSlice>();
    d.add::<crate::library::SourceDto>();
    d.add::<crate::state::DropEvent>();
    d.add::<crate::state::SourcesEvent>();
    // Semantic search.
    d.add::<crate::embedding::SemanticStatusDto>();
    d.add::<crate::embedding::EmbedEventDto>();
    d.add::<crate::embedding::DownloadEventDto>();
    // Ask and history.
    d.add::<crate::ask::AskResult>();
    d.add::<crate::ask::RunSummaryDto>();
    d.add::<engine::run::Event>();
    d.add::<engine::run::RunRecord>();
    d.add::<engine::run::RunMode>();
    // Export.
    d.add::<crate::export::ExportChoices>();
    // Settings.
    d.add::<crate::settings::SettingsView>();
    d.add::<crate::settings::Settings>();
    d.add::<crate::settings::KeyFor>();
    d.add::<crate::settings::LocalServerDto>();
    d.add::<crate::settings::LlmTest>();
    // Use Catena from other apps (MCP).
    d.add::<crate::mcp::McpStatus>();
    d
}

fn generated_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(GENERATED)
}

#[test]
fn the_generated_typescript_matches_the_rust_types() {
    let d = declarations();
    assert!(d.clashes.is_empty(), "two Rust types render to one TypeScript name: {:?}", d.clashes);
    let rendered = d.render();
    let path = generated_path();
    if std::env::var_os(UPDATE_ENV).is_some_and(|v| !v.is_empty()) {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("create ui/src/generated");
        }
        std::fs::write(&path, &rendered).expect("write the generated types");
        return;
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == rendered,
        "{GENERATED} is stale: the IPC types changed in Rust. Run `scripts/gen-ipc-types` and commit the \
         result.\nFirst difference at line {}.",
        first_difference(&on_disk, &rendered)
    );
}

/// The 1-based line where two texts first differ.
fn first_difference(a: &str, b: &str) -> usize {
    a.lines().zip(b.lines()).take_while(|(x, y)| x == y).count() + 1
}

#[test]
fn error_codes_render_as_a_closed_union_of_their_wire_names() {
    let cfg = Config::new();
    let union = crate::error::ErrorCode::inline(&cfg);
    for code in [crate::error::ErrorCode::DataDirUnavailable, crate::error::ErrorCode::Internal] {
        let wire = serde_json::to_string(&code).expect("serialisable");
        assert!(union.split(" | ").any(|member| member == wire), "{wire} missing from {union}");
    }
    assert!(!union.contains("string"), "{union}");
}

#[test]
fn fields_left_out_when_empty_are_optional_and_always_written_ones_are_not() {
    let cfg = Config::new().with_large_int("number");
    let record = engine::run::RunRecord::inline(&cfg);
    // `skip_serializing_if` without a value in the JSON: optional in TypeScript.
    assert!(record.contains("not_found?: boolean"), "{record}");
    assert!(record.contains("short_answer?: ShortAnswer"), "{record}");
    // Always written, even when empty.
    assert!(record.contains("plan_raw: string | null"), "{record}");
}
