import { describe, expect, it, vi } from "vitest";
import recorded from "../fixtures/ask-extractive.json";
import { DEFAULT_SETTINGS, fakeClient, settle } from "../testing/fake-client";
import type { AskResult, RunEvent, RunRecord } from "../types";
import { askView } from "./ask";

const events = recorded.events as RunEvent[];
const result = recorded.result as unknown as AskResult;
const frame = () => new Promise((resolve) => requestAnimationFrame(() => resolve(undefined)));

function typeQuestion(view: ReturnType<typeof askView>, text: string) {
  const box = view.element.querySelector<HTMLTextAreaElement>("#question");
  if (box === null) throw new Error("no question box");
  box.value = text;
  return box;
}

describe("Ask view", () => {
  it("sends on Enter, not on Shift+Enter, and replays the recorded run as it streams", async () => {
    let emit: (e: RunEvent) => void = () => undefined;
    let finish: (r: AskResult) => void = () => undefined;
    const client = fakeClient({
      ask: vi.fn((_q: string, onEvent: (e: RunEvent) => void) => {
        emit = onEvent;
        return new Promise<AskResult>((resolve) => (finish = resolve));
      }),
    });
    const view = askView(client);
    document.body.replaceChildren(view.element);
    const box = typeQuestion(view, recorded.question);

    box.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", shiftKey: true, bubbles: true }));
    expect(client.ask).not.toHaveBeenCalled();
    box.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
    expect(client.ask).toHaveBeenCalledWith(recorded.question, expect.any(Function), { noLlm: false, mode: "chain" });

    // The plan arrives: every node is drawn, pending, and Stop is offered in place of Ask.
    emit(events[0] as RunEvent);
    await frame();
    const nodes = () => view.element.querySelectorAll(".graph-node");
    expect(nodes().length).toBe(result.record.nodes.length);
    expect(view.element.querySelectorAll(".graph-node.status-pending").length).toBe(nodes().length);
    const cancel = view.element.querySelector<HTMLButtonElement>(".ask-form button.stop");
    const ask = view.element.querySelector<HTMLButtonElement>(".ask-form button[type=submit]");
    expect(cancel?.textContent).toBe("Stop");
    expect(cancel?.hidden).toBe(false);
    expect(ask?.hidden).toBe(true);
    expect(view.element.querySelector("[role=status]")?.textContent).toBe(`Working: 0 of ${nodes().length} steps done.`);

    for (const e of events.slice(1)) emit(e);
    await frame();
    const finished = result.record.nodes.filter((n) => n.status !== "pending" && n.status !== "running").length;
    expect(view.element.querySelectorAll(".graph-node.status-done, .graph-node.status-failed").length).toBe(finished);
    expect(view.element.querySelectorAll(".answer-text .marker").length).toBe(result.record.citations.length);

    finish(result);
    await settle();
    expect(cancel?.hidden).toBe(true);
    expect(ask?.hidden).toBe(false);
    expect(view.element.querySelector(".usage")?.textContent).toContain("Extractive answer");
    expect(view.element.textContent).toContain("Run again");
  });

  it("stops a running question from a Stop button by the question and by the answer", async () => {
    let fail: (e: unknown) => void = () => undefined;
    const client = fakeClient({
      ask: vi.fn(() => new Promise<AskResult>((_resolve, reject) => (fail = reject))),
      cancelAsk: vi.fn(() => {
        fail({ code: "Cancelled", message: "the run was cancelled" });
        return Promise.resolve(true);
      }),
    });
    const view = askView(client);
    document.body.replaceChildren(view.element);
    const box = typeQuestion(view, "  Why is the sky blue?\n");
    view.element.querySelector("form")?.dispatchEvent(new Event("submit", { cancelable: true }));
    const stops = [...view.element.querySelectorAll<HTMLButtonElement>("button")].filter((b) => b.textContent === "Stop" && !b.hidden);
    // One beside the question box, one in the answer card, where the answer is being watched.
    expect(stops.length).toBe(2);
    expect(stops[1]?.closest(".answer-card")).not.toBeNull();
    expect(box.readOnly).toBe(true);
    stops[1]?.focus();
    stops[1]?.click();
    expect(view.element.querySelector("[role=status]")?.textContent).toBe("Stopping…");
    await settle();
    expect(client.cancelAsk).toHaveBeenCalledTimes(1);
    expect(view.element.querySelector("[role=status]")?.textContent).toBe("Stopped. Nothing was saved.");
    expect([...view.element.querySelectorAll<HTMLButtonElement>("button")].filter((b) => b.textContent === "Stop" && !b.hidden).length).toBe(0);
    // The question stays in the box, editable, with the focus back on it.
    expect(box.value).toBe("Why is the sky blue?");
    expect(box.readOnly).toBe(false);
    expect(document.activeElement).toBe(box);
  });

  it("keeps the question in the box after the run, says what went missing, and closes a preview when a source opens", async () => {
    const base = result.record;
    const record: RunRecord = {
      ...base,
      nodes: [
        ...base.nodes.filter((n) => n.status === "done"),
        { ...(base.nodes[0] as RunRecord["nodes"][number]), id: 8, action: "web_search", status: "skipped", reason: "web search is off", evidence: [] },
        { ...(base.nodes[0] as RunRecord["nodes"][number]), id: 9, action: "web_search", status: "skipped", reason: "web search is off", evidence: [] },
      ],
      evidence: base.evidence.map((e, i) => (i === 0 ? { ...e, note: "the page could not be fetched" } : e)),
    };
    const client = fakeClient({ ask: vi.fn(() => Promise.resolve({ record, stored: true, extractive_reason: null })) });
    const view = askView(client);
    document.body.replaceChildren(view.element);
    const box = typeQuestion(view, base.question);
    view.element.querySelector("form")?.dispatchEvent(new Event("submit", { cancelable: true }));
    await settle();
    expect(box.value).toBe(base.question);
    expect(box.readOnly).toBe(false);
    const notes = view.element.querySelector(".answer-card .run-notes");
    expect(notes?.textContent).toBe("2 steps skipped: web search is off; 1 source could not be opened (the page could not be fetched).");
    // It sits under the answer, before the usage line.
    expect(notes?.previousElementSibling?.querySelector(".answer-text")).not.toBeNull();

    const wrap = view.element.querySelector<HTMLElement>(".answer-text .marker-wrap");
    wrap?.dispatchEvent(new MouseEvent("mouseenter"));
    expect(wrap?.querySelector<HTMLElement>(".marker-preview")?.hidden).toBe(false);
    wrap?.querySelector<HTMLButtonElement>(".marker")?.click();
    expect(view.element.querySelector(".source-panel")).not.toBeNull();
    expect(view.element.querySelectorAll(".marker-preview:not([hidden])").length).toBe(0);
  });

  it("shows a node's evidence when it is selected, and opens the source", async () => {
    const client = fakeClient({ documentText: () => Promise.resolve("x".repeat(5000)) });
    const view = askView(client);
    document.body.replaceChildren(view.element);
    view.openRecord(result.record);
    const node = result.record.nodes[0];
    view.element.querySelector(`[data-node='${node?.id}']`)?.dispatchEvent(new MouseEvent("click"));
    const detail = view.element.querySelector(".node-detail");
    expect(detail?.textContent).toContain(node?.sub_question ?? "?");
    const items = detail?.querySelectorAll(".evidence-list li") ?? [];
    expect(items.length).toBe(node?.evidence.length);
    items[0]?.querySelector("button")?.click();
    expect(view.element.querySelector(".source-panel")).not.toBeNull();
    expect(view.closePanels()).toBe(true);
    expect(view.element.querySelector(".source-panel")).toBeNull();
  });

  it("runs a reopened question again and shows what changed", async () => {
    const changed: RunRecord = {
      ...result.record,
      run_id: "r-2",
      answer: `${result.record.answer} Something new.`,
    };
    const client = fakeClient({ ask: vi.fn(() => Promise.resolve({ record: changed, stored: true, extractive_reason: null })) });
    const view = askView(client);
    document.body.replaceChildren(view.element);
    view.openRecord(result.record);
    [...view.element.querySelectorAll<HTMLButtonElement>("button")].find((b) => b.textContent === "Run again")?.click();
    await settle();
    const diff = view.element.querySelector(".diff-card");
    expect(diff?.hasAttribute("hidden")).toBe(false);
    expect(diff?.querySelector("ins")?.textContent).toBe("Something new.");
    expect(diff?.textContent).toContain("The same sources are cited.");
  });

  it("shows the short answer first, and a skipped step's reason in its detail", async () => {
    const base = result.record;
    const ev = { ...base.evidence[0], id: 1, text: "The observatory was built in 1923 on the hill." } as RunRecord["evidence"][number];
    const record: RunRecord = {
      ...base,
      answer: "1923 — The observatory was built in 1923 on the hill [1].",
      short_answer: { text: "1923", evidence_id: 1, span: { start: 29, end: 33 } },
      evidence: [ev],
      citations: [{ marker: 1, evidence_id: 1, sentence: "1923 — The observatory was built in 1923 on the hill.", verdict: "supported", reason: "all 4 content words of the sentence are in [1]" }],
      unsupported_sentences: [],
      nodes: [
        { ...base.nodes[0], id: 1, status: "done", evidence: [1] } as RunRecord["nodes"][number],
        { ...base.nodes[0], id: 2, action: "web_search", status: "skipped", reason: "web search is off (Settings › Web search)", evidence: [], mrfs: null, decision: null } as RunRecord["nodes"][number],
      ],
    };
    const client = fakeClient({ documentText: vi.fn(() => Promise.resolve("x".repeat(200))) });
    const view = askView(client);
    document.body.replaceChildren(view.element);
    view.openRecord(record);
    const card = view.element.querySelector(".answer-card");
    const short = card?.querySelector(".short-answer");
    expect(short?.querySelector(".short-answer-text")?.textContent).toBe("1923");
    // It comes before the answer's sentences.
    const first = card?.querySelector(".short-answer, .answer-text");
    expect(first?.classList.contains("short-answer")).toBe(true);
    short?.querySelector<HTMLButtonElement>(".marker")?.click();
    await settle();
    expect(view.element.querySelector(".source-panel .source-focus")).not.toBeNull();

    view.element.querySelector<SVGElement>("[data-node='2']")?.dispatchEvent(new MouseEvent("click"));
    const detail = view.element.querySelector(".node-detail");
    expect(detail?.querySelector("h3")?.textContent).toBe("Step 2 · Web · Skipped");
    expect(detail?.querySelector(".skipped-reason")?.textContent).toBe("Not run: web search is off (Settings › Web search).");
    expect(detail?.textContent).toContain("Nothing was searched for this step.");
  });
});

describe("Ask view in agent mode", () => {
  const withModel = (mode: "chain" | "agent") => {
    const s = structuredClone(DEFAULT_SETTINGS);
    s.llm = { ...s.llm, enabled: true, model: "qwen3" };
    s.engine.run_mode = mode;
    return s;
  };

  it("offers agent mode only with a language model, and says why not", async () => {
    const view = askView(fakeClient());
    document.body.replaceChildren(view.element);
    await settle();
    const select = view.element.querySelector<HTMLSelectElement>("#run-mode");
    const agent = select?.querySelector<HTMLOptionElement>("option[value=agent]");
    expect(select?.value).toBe("chain");
    expect(agent?.disabled).toBe(true);
    const note = view.element.querySelector<HTMLElement>("#run-mode-note");
    expect(note?.hidden).toBe(false);
    expect(note?.textContent).toBe("Agent mode needs a language model: set one up in Settings.");
    expect(select?.getAttribute("aria-describedby")).toBe("run-mode-note");
    expect(view.element.querySelector("label[for=run-mode]")?.textContent).toBe("Mode");
  });

  it("starts from the default in Settings, asks in agent mode, streams the thinking apart from the answer and draws the actions in order", async () => {
    let emit: (e: RunEvent) => void = () => undefined;
    let finish: (r: AskResult) => void = () => undefined;
    const client = fakeClient({
      getSettings: vi.fn(() => Promise.resolve(withModel("agent"))),
      ask: vi.fn((_q: string, onEvent: (e: RunEvent) => void) => {
        emit = onEvent;
        return new Promise<AskResult>((resolve) => (finish = resolve));
      }),
    });
    const view = askView(client);
    document.body.replaceChildren(view.element);
    await settle();
    const select = view.element.querySelector<HTMLSelectElement>("#run-mode");
    expect(select?.value).toBe("agent");
    expect(view.element.querySelector<HTMLElement>("#run-mode-note")?.hidden).toBe(true);

    typeQuestion(view, "When was the Orbis Institute founded?");
    view.element.querySelector("form")?.requestSubmit();
    expect(client.ask).toHaveBeenCalledWith("When was the Orbis Institute founded?", expect.any(Function), { noLlm: false, mode: "agent" });

    emit({ type: "plan_ready", nodes: [] });
    emit({ type: "thinking_delta", text: "I should look " });
    emit({ type: "thinking_delta", text: "this up. <begin_search> Orbis Institute founded" });
    await frame();
    expect(view.element.querySelector("[role=status]")?.textContent).toBe("The model is thinking…");
    const details = view.element.querySelector<HTMLDetailsElement>(".answer-card details.thinking");
    expect(details).not.toBeNull();
    expect(details?.open).toBe(false);
    expect(details?.querySelector("summary")?.textContent).toBe("Thinking (in progress)");
    expect(details?.querySelector(".thinking-text")?.textContent).toBe("I should look this up. <begin_search> Orbis Institute founded");

    const base = result.record.nodes[0] as RunRecord["nodes"][number];
    const action = { ...base, id: 1, sub_question: "Orbis Institute founded", depends_on: [], status: "done" as const, evidence: [1] };
    emit({ type: "node_started", id: 1 });
    emit({ type: "node_finished", node: action });
    emit({ type: "thinking_delta", text: "It was 1911." });
    emit({ type: "answer_delta", text: "Founded in 1911 [1]." });
    await frame();
    // The same panel, still as the reader left it, now with the rest of the thinking.
    expect(view.element.querySelector(".answer-card details.thinking")).toBe(details);
    expect(details?.querySelector(".thinking-text")?.textContent).toContain("It was 1911.");
    expect(view.element.querySelector(".answer-text")?.textContent ?? "").not.toContain("I should look");
    expect(view.element.querySelector("[data-node='1'] .graph-answer")?.textContent).toBe("1 result");

    const record: RunRecord = { ...result.record, run_mode: "agent", nodes: [action], answer: "Founded in 1911 [1]." };
    finish({ record, stored: true, extractive_reason: null });
    await settle();
    await frame();
    const after = view.element.querySelector<HTMLDetailsElement>(".answer-card details.thinking");
    expect(after?.querySelector("summary")?.textContent).toBe("Thinking");
    expect(after?.querySelector(".thinking-text")?.textContent).toContain("It was 1911.");
    view.element.querySelector("[data-node='1']")?.dispatchEvent(new MouseEvent("click"));
    expect(view.element.querySelector(".node-detail h3")?.textContent).toBe("Action 1 · Knowledge base · Done");
    expect(view.element.querySelector(".node-detail .evidence-list")).not.toBeNull();
  });
});
