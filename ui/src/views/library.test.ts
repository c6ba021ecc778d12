import { describe, expect, it, vi } from "vitest";
import type { IngestEvent, IngestSummary } from "../ipc/client";
import { fakeClient, settle } from "../testing/fake-client";
import { libraryView, progressText, snippet } from "./library";

const info = () => Promise.resolve({ version: "1", data_dir: "/srv/catena" });

const progress = (done: number, bytesDone: number) => ({
  files_done: done,
  files_total: 3,
  bytes_done: bytesDone,
  bytes_total: 3 * 1024 * 1024,
  eta_ms: done < 3 ? 90_000 : null,
});

describe("Library view", () => {
  it("streams per-file progress, totals and failures while it ingests", async () => {
    let finish: (s: IngestSummary) => void = () => undefined;
    let emit: (e: IngestEvent) => void = () => undefined;
    const client = fakeClient({
      ingest: vi.fn((_paths: string[], onEvent: (e: IngestEvent) => void) => {
        emit = onEvent;
        return new Promise<IngestSummary>((resolve) => (finish = resolve));
      }),
    });
    const view = libraryView(client, info);
    document.body.replaceChildren(view.element);

    view.add(["/home/ada/papers"]);
    emit({ type: "scanned", files: 3, bytes: 3 * 1024 * 1024 });
    emit({
      type: "file",
      path: "/home/ada/papers/a.pdf",
      outcome: "ingested",
      doc_id: 1,
      chunks: 12,
      replaced: false,
      detail: null,
      warnings: [],
      progress: progress(1, 1024 * 1024),
    });
    emit({
      type: "file",
      path: "/home/ada/papers/broken.docx",
      outcome: "failed",
      doc_id: null,
      chunks: null,
      replaced: false,
      detail: "not a zip archive",
      warnings: [],
      progress: progress(2, 2 * 1024 * 1024),
    });

    const status = view.element.querySelector("[role=status]");
    expect(status?.textContent).toBe("2 of 3 files · 2.0 MB of 3.0 MB · about 1 min 30 s left");
    const files = [...view.element.querySelectorAll(".file")].map((li) => li.textContent);
    expect(files[0]).toContain("broken.docx");
    expect(files[1]).toContain("a.pdf");
    expect(files[1]).toContain("12 passages");
    const failed = view.element.querySelector(".failed-card");
    expect(failed?.hasAttribute("hidden")).toBe(false);
    expect(failed?.textContent).toContain("/home/ada/papers/broken.docx");
    expect(failed?.textContent).toContain("not a zip archive");

    finish({ ingested: 1, skipped: 1, failed: [{ path: "b", reason: "x" }], chunks: 12, bytes: 3, interrupted: false, elapsed_ms: 4000 });
    await settle();
    expect(status?.textContent).toBe("Done: Added 1, skipped 1, 1 failed in 4.0 s.");
  });

  it("runs batches one after another", async () => {
    const resolvers: ((s: IngestSummary) => void)[] = [];
    const client = fakeClient({
      ingest: vi.fn(() => new Promise<IngestSummary>((resolve) => resolvers.push(resolve))),
    });
    const view = libraryView(client, info);
    view.add(["/a"]);
    view.add(["/b"]);
    expect(client.ingest).toHaveBeenCalledTimes(1);
    resolvers[0]?.({ ingested: 0, skipped: 0, failed: [], chunks: 0, bytes: 0, interrupted: false, elapsed_ms: 0 });
    await settle();
    expect(client.ingest).toHaveBeenCalledTimes(2);
    expect(client.ingest).toHaveBeenLastCalledWith(["/b"], expect.any(Function));
  });

  it("searches as you type and shows ranked snippets with marked terms", async () => {
    vi.useFakeTimers();
    const client = fakeClient({
      search: vi.fn(() =>
        Promise.resolve([
          {
            doc_id: 4,
            chunk_id: "4:2",
            title: "Harbour history",
            path: "/d/harbour.md",
            format: "markdown",
            location: "Observatory",
            page: null,
            score: 3.2,
            snippet_html: "the &lt;old&gt; <b>observatory</b> was built",
            text: "the <old> observatory was built in 1923",
            span: [10, 50] as [number, number],
          },
        ]),
      ),
    });
    const view = libraryView(client, info);
    document.body.replaceChildren(view.element);
    const input = view.element.querySelector<HTMLInputElement>("#library-search");
    if (input === null) throw new Error("no search box");
    input.value = "observatory";
    input.dispatchEvent(new Event("input"));
    await vi.advanceTimersByTimeAsync(200);
    vi.useRealTimers();
    await settle();

    expect(client.search).toHaveBeenCalledWith("observatory", 20);
    const hit = view.element.querySelector(".hit");
    expect(hit?.textContent).toContain("Harbour history");
    expect(hit?.querySelector("mark")?.textContent).toBe("observatory");
    expect(hit?.querySelector(".snippet")?.textContent).toBe("the <old> observatory was built");
  });

  it("lists documents, with failures and their reasons, and removes after confirming", async () => {
    const client = fakeClient({
      listDocuments: vi.fn(() =>
        Promise.resolve([
          { id: 1, path: "/d/a.pdf", title: "Annual report", format: "pdf", size: 2048, pages: 3, chunks: 9, status: "indexed", error: null, warnings: [], duplicate_of: null, updated_at: "2026-01-02T03:04:05Z" },
          { id: 2, path: "/d/b.docx", title: null, format: null, size: 10, pages: null, chunks: 0, status: "failed", error: "not a zip archive", warnings: [], duplicate_of: null, updated_at: "2026-01-02T03:04:05Z" },
        ]),
      ),
    });
    const view = libraryView(client, info);
    document.body.replaceChildren(view.element);
    await settle();

    const rows = view.element.querySelectorAll("tr.doc");
    expect(rows.length).toBe(2);
    expect(rows[0]?.textContent).toContain("Annual report");
    expect(rows[1]?.textContent).toContain("not a zip archive");
    expect(view.element.textContent).toContain("1 document");

    rows[0]?.querySelector<HTMLButtonElement>("button")?.click();
    expect(client.removeDocument).not.toHaveBeenCalled();
    const confirm = [...(rows[0]?.querySelectorAll<HTMLButtonElement>("button") ?? [])].find((b) => b.textContent === "Remove");
    confirm?.click();
    expect(client.removeDocument).toHaveBeenCalledWith(1);
  });
});

describe("helpers", () => {
  it("formats progress without an ETA once done", () => {
    expect(progressText({ files_done: 3, files_total: 3, bytes_done: 500, bytes_total: 500, eta_ms: 10 })).toBe(
      "3 of 3 files · 500 B of 500 B",
    );
  });

  it("never turns snippet markup other than <b> into elements", () => {
    const p = snippet("<img src=x onerror=alert(1)> <b>term</b>");
    expect(p.querySelector("img")).toBeNull();
    expect(p.querySelectorAll("mark").length).toBe(1);
  });
});
