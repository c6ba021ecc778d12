// The History view: past runs, newest first. Opening one shows it in the Ask view with its graph
// and evidence; from there it can be run again and compared.
import { h } from "../dom";
import { duration, when } from "../format";
import { type Client, toIpcError } from "../ipc/client";
import type { RunRecord, RunSummary } from "../types";

export interface HistoryView {
  element: HTMLElement;
  refresh(): void;
}

export function historyView(client: Client, open: (record: RunRecord) => void): HistoryView {
  const list = h("div", { class: "runs", "aria-live": "polite" });
  const filter = h("input", { type: "search", id: "history-filter", class: "search-input", placeholder: "Filter questions", autocomplete: "off" });
  let runs: RunSummary[] = [];

  const render = () => {
    const q = filter.value.trim().toLowerCase();
    const shown = q === "" ? runs : runs.filter((r) => r.question.toLowerCase().includes(q));
    if (runs.length === 0) {
      list.replaceChildren(
        h("div", { class: "empty-state" }, h("h2", {}, "No questions yet"), h("p", { class: "muted" }, "Every question you ask is kept here with its steps, evidence and answer.")),
      );
      return;
    }
    if (shown.length === 0) {
      list.replaceChildren(h("p", { class: "muted" }, "No question matches."));
      return;
    }
    list.replaceChildren(
      h(
        "ul",
        { class: "run-list" },
        ...shown.map((r) => {
          const button = h(
            "button",
            { type: "button", class: "run-item", "data-run": r.run_id },
            h("span", { class: "run-question" }, r.question),
            h(
              "span",
              { class: "muted small" },
              [when(r.started_at), r.mode === "llm" ? `${r.llm_calls} model calls` : "extractive", duration(r.wall_ms)].join(" · "),
            ),
          );
          button.addEventListener("click", () => {
            button.setAttribute("aria-busy", "true");
            client.getRun(r.run_id).then(open, (raw) => {
              button.removeAttribute("aria-busy");
              list.prepend(h("div", { class: "error", role: "alert" }, toIpcError(raw).message));
            });
          });
          return h("li", {}, button);
        }),
      ),
    );
  };

  const refresh = () => {
    client.listRuns(500).then(
      (r) => {
        runs = r;
        render();
      },
      (raw) => list.replaceChildren(h("div", { class: "error", role: "alert" }, h("p", { class: "error-title" }, "Couldn't load the history"), h("p", {}, toIpcError(raw).message))),
    );
  };
  filter.addEventListener("input", render);

  const element = h(
    "section",
    { class: "view", "aria-labelledby": "history-title" },
    h("header", { class: "view-header" }, h("h1", { id: "history-title" }, "History"), h("p", { class: "lede" }, "Questions you asked, with the steps and sources behind each answer.")),
    h("label", { for: "history-filter", class: "sr-only" }, "Filter questions"),
    filter,
    list,
  );
  refresh();
  return { element, refresh };
}
