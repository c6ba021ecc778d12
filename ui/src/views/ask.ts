// The Ask view: a question box, the action graph drawing itself as the run unfolds, the answer
// streaming in with its citations, the evidence of a chosen step, and the source viewer.
import {
  closePreview,
  type Focus,
  formatUsage,
  renderAnswer,
  renderConflicts,
  renderRunNotes,
  renderShortAnswer,
} from "../components/answer";
import { exportDialog } from "../components/export";
import { graphView, nodeOutcome } from "../components/graph";
import { sourcePanel } from "../components/source";
import { thinkingPanel } from "../components/thinking";
import { diffRuns } from "../diff";
import { h } from "../dom";
import { toIpcError, type Client } from "../ipc/client";
import { ACTION_LABEL, STATUS_LABEL, applyEvent, emptyRun, fromRecord, type RunState } from "../run-state";
import type { EvidenceRecord, RunMode, RunRecord, SettingsView } from "../types";

const present = (...nodes: (Node | null)[]): Node[] => nodes.filter((n): n is Node => n !== null);

export interface AskView {
  element: HTMLElement;
  /** Shows a stored run (from History). */
  openRecord(record: RunRecord): void;
  /** Closes the source viewer or dialog; true when something was closed. */
  closePanels(): boolean;
  focusQuestion(): void;
}

export function askView(client: Client): AskView {
  let state: RunState | null = null;
  let record: RunRecord | null = null;
  let previous: RunRecord | null = null;
  let running = false;
  /** Stop was pressed: the run is winding down, and the question box gets the focus back. */
  let stopping = false;
  let selected: number | null = null;
  let panel: HTMLElement | null = null;
  let queued = false;

  const question = h("textarea", {
    id: "question",
    class: "question-input",
    rows: "2",
    placeholder: "Ask about your documents…",
    "aria-describedby": "question-hint",
  });
  const askButton = h("button", { type: "submit", class: "button primary" }, "Ask");
  // While a run is going, Stop takes the Ask button's place (and stands by the answer too).
  const stopButton = h("button", { type: "button", class: "button stop", hidden: true }, "Stop");
  const noLlm = h("input", { type: "checkbox", id: "no-llm" });
  // Chain or agent: the default comes from Settings; agent mode needs a language model.
  const chainOption = h("option", { value: "chain" }, "Chain of steps");
  const agentOption = h("option", { value: "agent" }, "Agent");
  const modeSelect = h(
    "select",
    { id: "run-mode", class: "mode-select small", "aria-describedby": "run-mode-note" },
    chainOption,
    agentOption,
  ) as HTMLSelectElement;
  const modeNote = h("span", { id: "run-mode-note", class: "muted small", hidden: true });
  let modeTouched = false;
  modeSelect.addEventListener("change", () => (modeTouched = true));
  /** Reads the settings again: whether a model is set up, and the default mode. */
  const refreshModes = async () => {
    let settings: SettingsView;
    try {
      settings = await client.getSettings();
    } catch {
      return;
    }
    applyModes(settings);
  };
  const applyModes = (settings: SettingsView) => {
    // The backend's rule: a model name and a server address (Anthropic's is built in).
    const llm = settings.llm;
    const hasModel = llm.enabled && llm.model.trim() !== "" && (llm.base_url.trim() !== "" || llm.provider === "anthropic");
    agentOption.disabled = !hasModel;
    agentOption.textContent = hasModel ? "Agent" : "Agent (needs a language model)";
    modeNote.hidden = hasModel;
    modeNote.textContent = hasModel ? "" : "Agent mode needs a language model: set one up in Settings.";
    const wanted: RunMode = modeTouched ? (modeSelect.value as RunMode) : (settings.engine.run_mode ?? "chain");
    modeSelect.value = wanted === "agent" && hasModel ? "agent" : "chain";
  };
  void refreshModes();
  const form = h(
    "form",
    { class: "ask-form card", "aria-label": "Ask a question" },
    h("label", { for: "question", class: "sr-only" }, "Question"),
    question,
    h(
      "div",
      { class: "ask-row" },
      h("span", { id: "question-hint", class: "muted small" }, "Enter to ask · Shift+Enter for a new line"),
      h("label", { class: "check small" }, noLlm, " Without a language model"),
      h("label", { for: "run-mode", class: "small" }, "Mode"),
      modeSelect,
      modeNote,
      h("span", { class: "spacer" }),
      stopButton,
      askButton,
    ),
  );
  const status = h("p", { class: "run-status", role: "status", "aria-live": "polite" });
  const answerActions = h("div", { class: "answer-actions" });
  const answerBody = h("div", { class: "answer-body" });
  const answerCard = h(
    "section",
    { class: "card answer-card", "aria-labelledby": "answer-title" },
    h("div", { class: "card-head" }, h("h2", { id: "answer-title", class: "card-title" }, "Answer"), answerActions),
    answerBody,
  );
  const thinking = thinkingPanel();
  const graph = graphView((id) => {
    selected = selected === id ? null : id;
    render();
  });
  const graphScroll = h("div", { class: "graph-scroll" }, graph.element);
  const legend = h(
    "div",
    { class: "legend", "aria-hidden": "true" },
    ...(["knowledge_base", "web_search", "data_analysis"] as const).map((a) =>
      h("span", { class: `legend-item action-${a}` }, h("span", { class: "swatch" }), ACTION_LABEL[a]),
    ),
  );
  const detail = h("div", { class: "node-detail", "aria-live": "polite" });
  const stepsCard = h(
    "section",
    { class: "card steps-card", "aria-labelledby": "steps-title" },
    h("div", { class: "card-head" }, h("h2", { id: "steps-title", class: "card-title" }, "Steps"), legend),
    h("div", { class: "steps-body" }, h("div", { class: "graph-area" }, graphScroll, graph.caption), detail),
  );
  const diffCard = h("section", { class: "card diff-card", "aria-labelledby": "diff-title", hidden: true });
  const results = h("div", { class: "ask-results", hidden: true }, answerCard, diffCard, stepsCard);
  const empty = h(
    "div",
    { class: "empty-state" },
    h("h2", {}, "Ask a question"),
    h(
      "p",
      { class: "muted" },
      "Catena breaks it into steps, searches your library for each, checks every guess against the passages it finds, and answers with citations you can open.",
    ),
  );
  const panelHost = h("div", { class: "panel-host" });
  const element = h(
    "section",
    { class: "view wide", "aria-labelledby": "ask-title" },
    h("header", { class: "view-header" }, h("h1", { id: "ask-title" }, "Ask")),
    form,
    status,
    empty,
    results,
    panelHost,
  );

  const openSource = (ev: EvidenceRecord, focus?: Focus) => {
    closePreview();
    closePanels();
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    panel = sourcePanel(
      client,
      ev,
      () => {
        closePanels();
        opener?.focus();
      },
      focus,
    );
    panelHost.replaceChildren(panel);
    panel.querySelector<HTMLElement>(".icon-button")?.focus();
  };

  function closePanels(): boolean {
    if (panel === null) return false;
    panel.remove();
    panel = null;
    return true;
  }

  const describeStatus = (s: RunState): string => {
    if (s.finished) return s.usage ? `Finished in ${(s.usage.wall_ms / 1000).toFixed(1)} s.` : "Finished.";
    if (s.nodes.length === 0) return s.runMode === "agent" ? "The model is thinking…" : "Planning the steps…";
    const done = s.nodes.filter((n) => ["done", "failed", "skipped"].includes(n.status)).length;
    if (done < s.nodes.length) return `Working: ${done} of ${s.nodes.length} steps done.`;
    return s.verified ? "Checking the answer…" : "Writing the answer…";
  };

  const renderDetail = (s: RunState) => {
    const node = s.nodes.find((n) => n.id === selected);
    if (node === undefined) {
      detail.replaceChildren(h("p", { class: "muted small" }, "Select a step to see its evidence."));
      return;
    }
    const ev = node.evidence.map((id) => s.evidence.get(id)).filter((e): e is EvidenceRecord => e !== undefined);
    const score = new Map(node.scores.map((x) => [x.evidence_id, x.score]));
    const skipped = node.status === "skipped";
    detail.replaceChildren(
      h("h3", {}, `${s.runMode === "agent" ? "Action" : "Step"} ${node.id} · ${ACTION_LABEL[node.action]} · ${STATUS_LABEL[node.status]}`),
      skipped ? h("p", { class: "skipped-reason" }, `Not run: ${node.reason ?? "this step could not run here"}.`.replace(/\.\.$/, ".")) : "",
      h("p", { class: "detail-question" }, node.sub_question),
      h(
        "dl",
        { class: "facts" },
        node.guess_answer ? h("dt", {}, "Guess") : null,
        node.guess_answer ? h("dd", {}, node.guess_answer) : null,
        h("dt", {}, "Answer"),
        h("dd", {}, node.answer || "—"),
        h("dt", {}, "Check"),
        h("dd", {}, node.decision ? `${nodeOutcome(node)}` : node.missing ? "missing knowledge: filled from sources" : "—"),
        node.reason && !skipped ? h("dt", {}, node.status === "failed" ? "Why it failed" : "Note") : null,
        node.reason && !skipped ? h("dd", {}, node.reason) : null,
      ),
      ev.length === 0
        ? h("p", { class: "muted small" }, skipped ? "Nothing was searched for this step." : "No evidence gathered for this step.")
        : h(
            "ol",
            { class: "evidence-list" },
            ...ev.map((e) => {
              const open = h("button", { type: "button", class: "link-button" }, `[${e.id}] ${e.title}`);
              open.addEventListener("click", () => openSource(e));
              const s2 = score.get(e.id);
              return h(
                "li",
                {},
                open,
                h("span", { class: "muted small" }, [e.location === e.title ? "" : e.location, s2 !== undefined ? `MRFS ${s2.toFixed(2)}` : ""].filter(Boolean).join(" · ")),
                h("p", { class: "evidence-text" }, e.text.length > 320 ? `${e.text.slice(0, 319)}…` : e.text),
              );
            }),
          ),
    );
  };

  const renderDiff = () => {
    if (previous === null || record === null || previous.run_id === record.run_id) {
      diffCard.hidden = true;
      return;
    }
    const d = diffRuns(previous, record);
    diffCard.hidden = false;
    const list = (title: string, items: string[], cls: string) =>
      items.length === 0 ? null : h("div", {}, h("h3", {}, title), h("ul", { class: cls }, ...items.map((i) => h("li", {}, i))));
    diffCard.replaceChildren(
      ...present(
      h("h2", { id: "diff-title", class: "card-title" }, "What changed since the earlier run"),
      d.answerChanged
        ? h(
            "p",
            { class: "word-diff" },
            ...d.answer.flatMap((w) => [
              w.op === "same" ? w.text : h(w.op === "added" ? "ins" : "del", {}, w.text),
              " ",
            ]),
          )
        : h("p", { class: "muted" }, "The answer is the same."),
      list("New sources", d.sourcesAdded, "added"),
      list("Sources no longer cited", d.sourcesRemoved, "removed"),
      d.sourcesAdded.length + d.sourcesRemoved.length === 0 ? h("p", { class: "muted" }, "The same sources are cited.") : null,
      ),
    );
  };

  // The answer's buttons stay the same elements while the answer streams in under them, so a
  // click or the focus on Stop survives redrawing every frame.
  let actionsFor: string | null = null;
  const renderActions = (s: RunState) => {
    const key = running ? "running" : (record?.run_id ?? "");
    if (key === actionsFor) return;
    actionsFor = key;
    answerActions.replaceChildren();
    if (running) {
      const stop = h("button", { type: "button", class: "button stop" }, "Stop");
      stop.addEventListener("click", () => requestStop(stop));
      answerActions.append(stop);
    } else if (record !== null) {
      const again = h("button", { type: "button", class: "button" }, "Run again");
      again.addEventListener("click", () => {
        previous = record;
        void start(s.question);
      });
      const exp = h("button", { type: "button", class: "button" }, "Export…");
      const runId = record.run_id;
      exp.addEventListener("click", () => {
        closePanels();
        panel = exportDialog(client, runId, () => {
          closePanels();
          exp.focus();
        });
        panelHost.replaceChildren(panel);
      });
      answerActions.append(again, exp);
    }
  };

  function render() {
    queued = false;
    if (state === null) return;
    const s = state;
    empty.hidden = true;
    results.hidden = false;
    // A reopened run keeps the line that says when it was asked; a live one reports progress.
    if (running && !stopping) status.textContent = describeStatus(s);
    graph.update(s.nodes, selected, s.question, s.runMode, s.predictions);
    thinking.update(s);
    renderDetail(s);
    renderActions(s);
    answerBody.replaceChildren(
      ...present(
        h("p", { class: "asked" }, s.question),
        // The same element every frame, so it stays open or closed as the reader left it.
        thinking.element,
        renderShortAnswer(s, { openSource }),
        h("div", { "aria-live": "polite", "aria-busy": String(!s.verified) }, renderAnswer(s, { openSource })),
        renderConflicts(s, { openSource }),
        renderRunNotes(s),
        s.usage ? h("p", { class: "usage muted small" }, formatUsage(s)) : null,
      ),
    );
    renderDiff();
  }

  // Token deltas can arrive hundreds of times a second; draw at most once per frame.
  const schedule = () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(render);
  };

  const setRunning = (on: boolean) => {
    // Hiding the focused Stop button would drop focus on the page: it goes back to the question,
    // which keeps the text just asked, ready to edit and ask again.
    const stopFocused = stopping || (element.contains(document.activeElement) && document.activeElement?.classList.contains("stop") === true);
    running = on;
    stopping = false;
    askButton.hidden = on;
    askButton.disabled = on;
    stopButton.hidden = !on;
    stopButton.disabled = false;
    question.readOnly = on;
    if (!on && stopFocused) {
      question.focus();
      question.setSelectionRange(question.value.length, question.value.length);
    }
  };

  function requestStop(button: HTMLButtonElement) {
    if (!running || stopping) return;
    stopping = true;
    status.textContent = "Stopping…";
    button.disabled = true;
    stopButton.disabled = true;
    void client.cancelAsk();
  }

  async function start(text: string) {
    const q = text.trim();
    if (q === "" || running) return;
    closePanels();
    question.value = q;
    const mode: RunMode = noLlm.checked ? "chain" : (modeSelect.value as RunMode);
    state = emptyRun(q, mode);
    record = null;
    selected = null;
    setRunning(true);
    render();
    try {
      const result = await client.ask(
        q,
        (event) => {
          if (state !== null) state = applyEvent(state, event);
          schedule();
        },
        { noLlm: noLlm.checked, mode },
      );
      record = result.record;
      // The thinking as it streamed is what the reader watched; the record's copy is the same text.
      const streamed = state?.thinking ?? "";
      state = fromRecord(result.record);
      if (streamed !== "") state = { ...state, thinking: streamed };
      setRunning(false);
      render();
      status.textContent = describeStatus(state);
      if (result.extractive_reason) status.textContent += ` Extractive answer: ${result.extractive_reason}.`;
      if (!result.stored) status.textContent += " The run could not be saved to the history.";
    } catch (raw) {
      setRunning(false);
      const e = toIpcError(raw);
      render();
      status.textContent = e.code === "Cancelled" ? "Stopped. Nothing was saved." : `Couldn't answer: ${e.message}`;
    }
  }

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    previous = null;
    void start(question.value);
  });
  question.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      form.requestSubmit();
    }
  });
  stopButton.addEventListener("click", () => requestStop(stopButton));

  return {
    element,
    openRecord(r) {
      if (running) return;
      closePanels();
      record = r;
      previous = null;
      state = fromRecord(r);
      selected = null;
      question.value = r.question;
      render();
      status.textContent = `Asked ${r.started_at.slice(0, 16).replace("T", " ")} UTC.`;
    },
    closePanels,
    focusQuestion: () => {
      void refreshModes();
      question.focus();
    },
  };
}
