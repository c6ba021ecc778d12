//! How the webview draws on Linux: on the GPU, or on the CPU when there is no GPU to draw with.
//!
//! WebKitGTK composites pages through OpenGL. On a machine without a GPU render node (a virtual
//! machine, a remote X session, a CI runner) OpenGL is Mesa's software rasteriser, and compositing
//! through it costs about 90 MB of memory in the web process and slows every frame, for nothing:
//! Catena's pages are flat documents that WebKit's CPU painter draws at least as fast. So when no
//! render node is present (or Mesa is told to render in software), the shell sets the webview's
//! hardware acceleration policy to "never" before its first frame.
//!
//! The user decides over the guess with `CATENA_RENDERING=gpu|software`. WebKit's own
//! `WEBKIT_DISABLE_COMPOSITING_MODE`, when set, keeps working and is reported as the mode.
//! `scripts/perf-app` reports the mode each launch ran in.

use std::path::Path;

/// Overrides the automatic choice: `gpu` or `software`.
pub const RENDERING_ENV: &str = "CATENA_RENDERING";
/// WebKitGTK's own switch, which it reads itself.
const WEBKIT_COMPOSITING_ENV: &str = "WEBKIT_DISABLE_COMPOSITING_MODE";
/// Where Linux exposes GPU render nodes (`renderD128`, …).
const DRI_DIR: &str = "/dev/dri";

/// How the webview renders, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rendering {
    /// WebKit's defaults (GPU compositing).
    Gpu(Reason),
    /// Compositing off: pages are painted on the CPU.
    Software(Reason),
}

/// Why [`Rendering`] was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// `CATENA_RENDERING` said so.
    Asked,
    /// `WEBKIT_DISABLE_COMPOSITING_MODE` is set (WebKit obeys it whatever Catena does).
    WebKitVariable,
    /// Mesa was told to render in software (`LIBGL_ALWAYS_SOFTWARE`).
    SoftwareGl,
    /// No GPU render node under `/dev/dri`.
    NoRenderNode,
    /// A render node is present.
    RenderNode,
}

impl Rendering {
    /// `gpu` or `software`, as `CATENA_RENDERING` spells it.
    pub fn name(self) -> &'static str {
        match self {
            Rendering::Gpu(_) => "gpu",
            Rendering::Software(_) => "software",
        }
    }
}

/// What the choice depends on, gathered by [`Inputs::from_system`] and passed in by tests.
#[derive(Debug, Default, Clone)]
pub struct Inputs {
    /// `CATENA_RENDERING`.
    pub asked: Option<String>,
    /// `WEBKIT_DISABLE_COMPOSITING_MODE`.
    pub webkit_variable: Option<String>,
    /// `LIBGL_ALWAYS_SOFTWARE`.
    pub libgl_always_software: Option<String>,
    /// Whether a `renderD*` node exists.
    pub render_node: bool,
}

impl Inputs {
    /// Reads the environment and `/dev/dri`.
    pub fn from_system() -> Inputs {
        let var = |name: &str| std::env::var(name).ok();
        Inputs {
            asked: var(RENDERING_ENV),
            webkit_variable: var(WEBKIT_COMPOSITING_ENV),
            libgl_always_software: var("LIBGL_ALWAYS_SOFTWARE"),
            render_node: has_render_node(Path::new(DRI_DIR)),
        }
    }
}

/// Whether `dir` holds a GPU render node.
fn has_render_node(dir: &Path) -> bool {
    std::fs::read_dir(dir)
        .is_ok_and(|entries| entries.flatten().any(|entry| entry.file_name().to_string_lossy().starts_with("renderD")))
}

/// Picks the rendering mode. An unknown `CATENA_RENDERING` value is ignored (with the automatic
/// choice), so a typo never stops the app from starting.
pub fn choose(inputs: &Inputs) -> Rendering {
    match inputs.asked.as_deref().map(str::trim).map(str::to_ascii_lowercase).as_deref() {
        Some("gpu") => return Rendering::Gpu(Reason::Asked),
        Some("software" | "cpu") => return Rendering::Software(Reason::Asked),
        _ => {}
    }
    if let Some(value) = inputs.webkit_variable.as_deref() {
        // WebKit treats any value but "0" as "off".
        return if value == "0" {
            Rendering::Gpu(Reason::WebKitVariable)
        } else {
            Rendering::Software(Reason::WebKitVariable)
        };
    }
    if inputs.libgl_always_software.as_deref().is_some_and(|v| !v.is_empty() && v != "0") {
        return Rendering::Software(Reason::SoftwareGl);
    }
    if inputs.render_node { Rendering::Gpu(Reason::RenderNode) } else { Rendering::Software(Reason::NoRenderNode) }
}

/// Applies `rendering` to `window`'s webview: in software mode WebKit's hardware acceleration
/// policy becomes "never", which turns compositing off. Called from the app's setup hook, before
/// the page paints its first frame. Elsewhere than Linux there is nothing to do.
pub fn apply(window: &tauri::WebviewWindow, rendering: Rendering) -> tauri::Result<()> {
    #[cfg(target_os = "linux")]
    if let Rendering::Software(_) = rendering {
        window.with_webview(|webview| {
            use webkit2gtk::{HardwareAccelerationPolicy, SettingsExt, WebViewExt};
            if let Some(settings) = WebViewExt::settings(&webview.inner()) {
                settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
            }
        })?;
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (window, rendering);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(render_node: bool) -> Inputs {
        Inputs { render_node, ..Inputs::default() }
    }

    #[test]
    fn a_machine_without_a_gpu_paints_on_the_cpu() {
        assert_eq!(choose(&inputs(false)), Rendering::Software(Reason::NoRenderNode));
        assert_eq!(choose(&inputs(true)), Rendering::Gpu(Reason::RenderNode));
    }

    #[test]
    fn software_gl_counts_as_no_gpu() {
        let forced = Inputs { libgl_always_software: Some("1".into()), ..inputs(true) };
        assert_eq!(choose(&forced), Rendering::Software(Reason::SoftwareGl));
        let zero = Inputs { libgl_always_software: Some("0".into()), ..inputs(true) };
        assert_eq!(choose(&zero), Rendering::Gpu(Reason::RenderNode));
    }

    #[test]
    fn the_users_choice_wins() {
        let gpu = Inputs { asked: Some(" GPU ".into()), ..inputs(false) };
        assert_eq!(choose(&gpu), Rendering::Gpu(Reason::Asked));
        let software = Inputs { asked: Some("software".into()), webkit_variable: Some("0".into()), ..inputs(true) };
        assert_eq!(choose(&software), Rendering::Software(Reason::Asked));
        // WebKit's own variable is respected when Catena's is not set.
        let webkit_off = Inputs { webkit_variable: Some("1".into()), ..inputs(true) };
        assert_eq!(choose(&webkit_off), Rendering::Software(Reason::WebKitVariable));
        let webkit_on = Inputs { webkit_variable: Some("0".into()), ..inputs(false) };
        assert_eq!(choose(&webkit_on), Rendering::Gpu(Reason::WebKitVariable));
    }

    #[test]
    fn a_typo_falls_back_to_the_automatic_choice() {
        let typo = Inputs { asked: Some("gpuu".into()), ..inputs(false) };
        assert_eq!(choose(&typo), Rendering::Software(Reason::NoRenderNode));
    }

    #[test]
    fn render_nodes_are_found_by_name() {
        let dir = tempfile::tempdir().expect("temp dir");
        assert!(!has_render_node(dir.path()));
        std::fs::write(dir.path().join("card0"), b"").expect("write");
        assert!(!has_render_node(dir.path()), "a display node alone is not a render node");
        std::fs::write(dir.path().join("renderD128"), b"").expect("write");
        assert!(has_render_node(dir.path()));
        assert!(!has_render_node(&dir.path().join("missing")));
    }
}
