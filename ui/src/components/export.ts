// The export dialog: format and citation style; the file is chosen in the system save dialog,
// which the backend opens, and written there.
import { h } from "../dom";
import { toIpcError, type Client } from "../ipc/client";

export function exportDialog(client: Client, runId: string, close: () => void): HTMLElement {
  const format = h("select", { id: "export-format" });
  const style = h("select", { id: "export-style" });
  const styleHint = h("p", { class: "hint", hidden: true }, "Bibliography formats list the sources without a citation style.");
  const message = h("p", { class: "small", role: "status", "aria-live": "polite" });
  const save = h("button", { type: "submit", class: "button primary" }, "Export…");
  const cancel = h("button", { type: "button", class: "button" }, "Close");
  cancel.addEventListener("click", close);
  const form = h(
    "form",
    { class: "export-form" },
    h("label", { for: "export-format" }, "Format"),
    format,
    h("label", { for: "export-style" }, "Citation style"),
    style,
    styleHint,
    message,
    h("div", { class: "dialog-actions" }, cancel, save),
  );
  let usesStyle = new Map<string, boolean>();
  const syncStyle = () => {
    const on = usesStyle.get(format.value) ?? true;
    style.disabled = !on;
    styleHint.hidden = on;
  };
  format.addEventListener("change", syncStyle);
  client.exportFormats().then(
    ({ formats, styles }) => {
      usesStyle = new Map(formats.map((f) => [f.name, f.uses_style]));
      format.replaceChildren(
        ...formats.map((f) =>
          h("option", { value: f.name, disabled: !f.available }, f.available ? f.label : `${f.label} (not available yet)`),
        ),
      );
      style.replaceChildren(...styles.map((s) => h("option", { value: s.name }, s.label)));
      const first = formats.find((f) => f.available);
      if (first) format.value = first.name;
      syncStyle();
    },
    (raw) => (message.textContent = toIpcError(raw).message),
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    save.disabled = true;
    message.textContent = "Choose where to save…";
    client.exportRun(runId, format.value, style.value).then(
      (path) => {
        save.disabled = false;
        message.textContent = path === null ? "Not saved." : `Saved to ${path}`;
      },
      (raw) => {
        save.disabled = false;
        message.textContent = toIpcError(raw).message;
      },
    );
  });
  return h(
    "aside",
    { class: "source-panel export-panel", role: "dialog", "aria-labelledby": "export-title" },
    h("header", { class: "source-header" }, h("h2", { id: "export-title" }, "Export this run")),
    h("div", { class: "source-body" }, form),
  );
}
