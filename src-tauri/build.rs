//! Build script for the desktop shell.
//!
//! `tauri.conf.json` sits at the repository root next to the root `Cargo.toml` (the shell package),
//! so tauri-build finds it from its working directory. Capabilities and the app's own permissions
//! live under `src-tauri/` and need explicit patterns.

fn main() {
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    println!("cargo:rerun-if-changed=src-tauri/permissions");
    let attributes = tauri_build::Attributes::new()
        .capabilities_path_pattern("./src-tauri/capabilities/**/*")
        // Having an app manifest turns the app's commands from "allowed for every local window" into
        // permissions (`allow-app-info`, ...) that a capability must grant explicitly.
        .app_manifest(tauri_build::AppManifest::new().permissions_path_pattern("./src-tauri/permissions/**/*"));
    if let Err(error) = tauri_build::try_build(attributes) {
        // A build script reports failure by panicking; `{error:#}` keeps the whole cause chain.
        panic!("tauri-build failed: {error:#}");
    }
}
