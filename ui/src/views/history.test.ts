import { describe, expect, it, vi } from "vitest";
import recorded from "../fixtures/ask-extractive.json";
import { fakeClient, settle } from "../testing/fake-client";
import type { AskResult } from "../types";
import { historyView } from "./history";

const record = (recorded.result as unknown as AskResult).record;

describe("History view", () => {
  it("lists past runs, filters them and reopens one with its record", async () => {
    const client = fakeClient({
      listRuns: () =>
        Promise.resolve([
          { run_id: "r-2", question: "Who founded the institute?", mode: "llm", started_at: "2026-01-02T10:00:00Z", wall_ms: 4200, llm_calls: 3 },
          { run_id: record.run_id, question: record.question, mode: "extractive", started_at: record.started_at, wall_ms: 40, llm_calls: 0 },
        ]),
      getRun: vi.fn(() => Promise.resolve(record)),
    });
    const open = vi.fn();
    const view = historyView(client, open);
    await settle();
    expect(view.element.querySelectorAll(".run-item").length).toBe(2);
    expect(view.element.querySelector(".run-item")?.textContent).toContain("3 model calls");

    const filter = view.element.querySelector<HTMLInputElement>("#history-filter");
    if (filter === null) throw new Error("no filter");
    filter.value = "orbis";
    filter.dispatchEvent(new Event("input"));
    const items = view.element.querySelectorAll<HTMLButtonElement>(".run-item");
    expect(items.length).toBe(1);

    items[0]?.click();
    await settle();
    expect(client.getRun).toHaveBeenCalledWith(record.run_id);
    expect(open).toHaveBeenCalledWith(record);
  });

  it("says so when there is no history yet", async () => {
    const view = historyView(fakeClient(), () => undefined);
    await settle();
    expect(view.element.textContent).toContain("No questions yet");
  });
});
