import { describe, expect, it, vi } from "vitest";
import type { IngestEvent, IngestSummary } from "../ipc/client";
import { fakeClient, settle } from "../testing/fake-client";
import type { DocumentInfo, EmbedEvent, Hit, SemanticStatus, SourcesEvent, WatchedSource } from "../types";
import {
  cardLine,
  docFacts,
  embedText,
  filterDocs,
  folderOf,
  libraryView,
  pageRanges,
  plural,
  progressText,
  scoreText,
  snippet,
  sortDocs,
  sourceText,
  summariseWarnings,
} from "./library";

const info = () => Promise.resolve({ version: "1", data_dir: "/srv/catena" });

const docInfo = (over: Partial<DocumentInfo> = {}): DocumentInfo => ({
  id: 1,
  path: "/d/a.pdf",
  title: "Annual report",
  format: "pdf",
  size: 2048,
  pages: 3,
  chunks: 9,
  status: "indexed",
  error: null,
  warnings: [],
  duplicate_of: null,
  updated_at: "2026-01-02T03:04:05Z",
  card: null,
  embedded: false,
  ...over,
});

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

  it("says why a drop on a read-only library changed nothing", async () => {
    const refusal =
      "the library at /srv/catena is read-only because its folder is not writable for this user, so nothing was added or changed (searching and asking still work)";
    const client = fakeClient({ ingest: vi.fn(() => Promise.reject({ code: "LibraryReadOnly", message: refusal })) });
    const view = libraryView(client, info);
    view.add(["/dropped"]);
    await settle();
    const card = view.element.querySelector<HTMLElement>(".progress-card");
    expect(card?.hidden).toBe(false);
    expect(card?.querySelector(".progress-text")?.textContent).toBe(`Couldn't add files: ${refusal}`);
    expect(card?.querySelectorAll(".file")).toHaveLength(0);
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
            scores: { lexical: 3.2, semantic: null, fused: 3.2 },
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
          { id: 1, path: "/d/a.pdf", title: "Annual report", format: "pdf", size: 2048, pages: 3, chunks: 9, status: "indexed", error: null, warnings: [], duplicate_of: null, updated_at: "2026-01-02T03:04:05Z", card: null, embedded: false },
          { id: 2, path: "/d/b.docx", title: null, format: null, size: 10, pages: null, chunks: 0, status: "failed", error: "not a zip archive", warnings: [], duplicate_of: null, updated_at: "2026-01-02T03:04:05Z", card: null, embedded: false },
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

    expect(rows[1]?.querySelector(".doc-card")).toBeNull();

    const remove = rows[0]?.querySelector<HTMLButtonElement>('button[aria-label="Remove Annual report"]');
    remove?.click();
    expect(client.removeDocument).not.toHaveBeenCalled();
    // The question is a row of its own under the document, spanning the whole table.
    const confirmRow = rows[0]?.nextElementSibling;
    expect(confirmRow?.classList.contains("confirm-row")).toBe(true);
    expect(confirmRow?.querySelector("td")?.getAttribute("colspan")).toBe("4");
    expect(confirmRow?.textContent).toContain("Remove “Annual report” from the library? The file itself stays where it is.");
    expect(remove?.getAttribute("aria-expanded")).toBe("true");
    expect(document.activeElement?.textContent).toBe("Remove");

    // Keep closes it and gives focus back; Remove removes.
    [...(confirmRow?.querySelectorAll<HTMLButtonElement>("button") ?? [])].find((b) => b.textContent === "Keep")?.click();
    expect(view.element.querySelector(".confirm-row")).toBeNull();
    expect(document.activeElement).toBe(remove);
    remove?.click();
    view.element.querySelector<HTMLButtonElement>(".confirm-row button.danger")?.click();
    expect(client.removeDocument).toHaveBeenCalledWith(1);
  });

  it("says 1 page and 1 passage, and shows each fact of a row on its own", async () => {
    const client = fakeClient({
      listDocuments: vi.fn(() => Promise.resolve([docInfo({ id: 1, pages: 1, chunks: 1 }), docInfo({ id: 2, pages: 12, chunks: 78, size: 3 * 1024 * 1024 })])),
    });
    const view = libraryView(client, info);
    document.body.replaceChildren(view.element);
    await settle();
    const facts = [...view.element.querySelectorAll("tr.doc")].map((r) => [...r.querySelectorAll(".doc-facts .fact")].map((f) => f.textContent));
    expect(facts).toEqual([
      ["2.0 KB", "PDF", "1 page", "1 passage"],
      ["3.0 MB", "PDF", "12 pages", "78 passages"],
    ]);
    expect(docFacts(docInfo({ pages: null, chunks: 0, format: null }))).toEqual(["2.0 KB"]);
    expect(plural(1, "page", "pages")).toBe("1 page");
    expect(plural(1024, "page", "pages")).toBe("1,024 pages");
  });

  it("summarises long per-page warning lists instead of repeating them", async () => {
    const warnings = [
      ...[2, 3, 4, 5, 6, 7, 8, 9].map((p) => `page ${p}: cannot be read`),
      "page 12: cannot be read",
      "page 4: no text layer (needs OCR)",
      "page 5: no text layer (needs OCR)",
      "page 11: OCR confidence 41% is low; its text may be wrong",
      "page 13: OCR confidence 38% is low; its text may be wrong",
      "file appears truncated; some pages or text may be missing",
      "file appears truncated; some pages or text may be missing",
    ];
    expect(summariseWarnings(warnings)).toEqual([
      "pages 2–9, 12 could not be read",
      "pages 4, 5: no text layer (needs OCR)",
      "pages 11, 13: OCR confidence is low; the text may be wrong",
      "file appears truncated; some pages or text may be missing",
    ]);
    expect(summariseWarnings(["page 3: OCR found no text"])).toEqual(["page 3: OCR found no text"]);
    expect(pageRanges([9, 1, 2, 3, 5, 7, 8, 3])).toBe("1–3, 5, 7–9");

    const client = fakeClient({ listDocuments: vi.fn(() => Promise.resolve([docInfo({ warnings })])) });
    const view = libraryView(client, info);
    document.body.replaceChildren(view.element);
    await settle();
    const shown = [...view.element.querySelectorAll("tr.doc ul.doc-warning > li")].map((li) => li.textContent);
    expect(shown).toEqual([
      "Pages 2–9, 12 could not be read",
      "Pages 4, 5: no text layer (needs OCR)",
      "Pages 11, 13: OCR confidence is low; the text may be wrong",
      "File appears truncated; some pages or text may be missing",
    ]);
    // Past three lines the rest fold away behind "1 more warning".
    expect(view.element.querySelector("tr.doc details summary")?.textContent).toBe("1 more warning");
  });

  it("filters by status, format and folder, counts each status, and sorts", async () => {
    const docs = [
      docInfo({ id: 1, path: "/home/ada/papers/b-report.pdf", title: "B report", size: 500, pages: 3, updated_at: "2026-01-03T00:00:00Z" }),
      docInfo({ id: 2, path: "/home/ada/papers/a-notes.md", title: "A notes", format: "markdown", size: 90_000, pages: null, updated_at: "2026-01-01T00:00:00Z" }),
      docInfo({ id: 3, path: "/home/ada/scans/c.pdf", title: "C scan", size: 4000, pages: 40, status: "failed", error: "not a pdf", updated_at: "2026-01-02T00:00:00Z" }),
      docInfo({ id: 4, path: "/home/ada/scans/d.pdf", title: "D copy", size: 10, pages: 1, status: "duplicate", updated_at: "2026-01-04T00:00:00Z" }),
      docInfo({ id: 5, path: "/home/ada/scans/e.pdf", title: "E new", size: 20, pages: null, status: "pending", updated_at: "2026-01-05T00:00:00Z" }),
    ];
    const client = fakeClient({ listDocuments: vi.fn(() => Promise.resolve(docs)) });
    const view = libraryView(client, info);
    document.body.replaceChildren(view.element);
    await settle();
    const titles = () => [...view.element.querySelectorAll("tr.doc .doc-title")].map((t) => t.textContent);
    const chips = () => [...view.element.querySelectorAll<HTMLButtonElement>(".status-filter .status-chip")];
    const chip = (label: string) => {
      const c = chips().find((b) => b.firstChild?.textContent === label);
      if (c === undefined) throw new Error(`no chip ${label}`);
      return c;
    };
    const select = (id: string) => {
      const s = view.element.querySelector<HTMLSelectElement>(`#${id}`);
      if (s === null) throw new Error(`no select ${id}`);
      return s;
    };
    const choose = (id: string, value: string) => {
      select(id).value = value;
      select(id).dispatchEvent(new Event("change"));
    };

    // Counts per status, with the visible label of each control.
    expect(chips().map((c) => c.textContent)).toEqual(["All 5", "Indexed 2", "Failed 1", "Duplicate 1", "Being read 1"]);
    expect(chip("All").getAttribute("aria-pressed")).toBe("true");
    expect(view.element.querySelector('label[for="doc-format"]')?.textContent).toBe("Format");
    expect(view.element.querySelector('label[for="doc-folder"]')?.textContent).toBe("Folder");
    expect(view.element.querySelector('label[for="doc-sort"]')?.textContent).toBe("Sort");
    expect([...select("doc-format").options].map((o) => o.textContent)).toEqual(["All formats", "MARKDOWN", "PDF"]);
    expect([...select("doc-folder").options].map((o) => o.textContent)).toEqual(["All folders", "/home/ada/papers", "/home/ada/scans"]);
    expect(titles()).toEqual(["E new", "D copy", "B report", "C scan", "A notes"]);
    expect(view.element.querySelector("tr.status-pending .badge")?.textContent).toBe("Being read");

    chip("Failed").click();
    expect(titles()).toEqual(["C scan"]);
    expect(chip("Failed").getAttribute("aria-pressed")).toBe("true");
    expect(view.element.querySelector(".shown-note")?.textContent).toBe("Showing 1 of 5 documents.");
    chip("All").click();

    choose("doc-format", "markdown");
    expect(titles()).toEqual(["A notes"]);
    choose("doc-format", "");
    choose("doc-folder", "/home/ada/scans");
    expect(titles()).toEqual(["E new", "D copy", "C scan"]);
    chip("Indexed").click();
    expect(view.element.querySelector(".empty-filter")?.textContent).toContain("No documents match these filters.");
    view.element.querySelector<HTMLButtonElement>(".empty-filter button")?.click();
    expect(titles()).toHaveLength(5);

    choose("doc-sort", "name-asc");
    expect(titles()).toEqual(["A notes", "B report", "C scan", "D copy", "E new"]);
    choose("doc-sort", "size-desc");
    expect(titles()).toEqual(["A notes", "C scan", "B report", "E new", "D copy"]);
    choose("doc-sort", "pages-desc");
    expect(titles()).toEqual(["C scan", "B report", "D copy", "A notes", "E new"]);
    choose("doc-sort", "pages-asc");
    expect(titles()).toEqual(["D copy", "B report", "C scan", "A notes", "E new"]);
    choose("doc-sort", "date-asc");
    expect(titles()).toEqual(["A notes", "C scan", "B report", "D copy", "E new"]);

    // The choices survive a refresh.
    choose("doc-folder", "/home/ada/papers");
    view.refresh();
    await settle();
    expect(select("doc-folder").value).toBe("/home/ada/papers");
    expect(titles()).toEqual(["A notes", "B report"]);
    expect(folderOf("/a.pdf")).toBe("/");
    expect(folderOf("C:\\docs\\a.pdf")).toBe("C:\\docs");
    expect(sortDocs(docs, "name-desc").map((d) => d.id)).toEqual([5, 4, 3, 1, 2]);
    expect(filterDocs(docs, { status: "failed", format: "pdf", folder: "/home/ada/scans" }).map((d) => d.id)).toEqual([3]);
  });

  it("shows a file in its folder and reads a failed file again", async () => {
    let emit: (e: IngestEvent) => void = () => undefined;
    let finish: (s: IngestSummary) => void = () => undefined;
    const client = fakeClient({
      listDocuments: vi.fn(() => Promise.resolve([docInfo({ id: 3, title: "C scan", status: "failed", error: "not a pdf" }), docInfo({ id: 4, title: "Fine" })])),
      rereadDocument: vi.fn((_id: number, onEvent: (e: IngestEvent) => void) => {
        emit = onEvent;
        return new Promise<IngestSummary>((resolve) => (finish = resolve));
      }),
      revealDocument: vi.fn(() => Promise.reject({ code: "NotFound", message: "the file is no longer at /d/c.pdf" })),
    });
    const view = libraryView(client, info);
    document.body.replaceChildren(view.element);
    await settle();
    const button = (label: string) => {
      const b = view.element.querySelector<HTMLButtonElement>(`button[aria-label="${label}"]`);
      if (b === null) throw new Error(`no button ${label}`);
      return b;
    };
    // Only failed documents offer to be read again.
    expect(view.element.querySelector('button[aria-label="Read Fine again"]')).toBeNull();

    button("Show Fine in its folder").click();
    expect(client.revealDocument).toHaveBeenCalledWith(4);
    await settle();
    expect(view.element.querySelectorAll("tr.doc")[1]?.querySelector("[role=alert]")?.textContent).toBe("the file is no longer at /d/c.pdf");

    const again = button("Read C scan again");
    again.click();
    expect(client.rereadDocument).toHaveBeenCalledWith(3, expect.any(Function));
    expect(again.disabled).toBe(true);
    expect(view.element.querySelector(".docs-note")?.textContent).toBe("Reading C scan again…");
    const listed = vi.mocked(client.listDocuments).mock.calls.length;
    emit({ type: "committed", documents: 1 });
    finish({ ingested: 0, skipped: 0, failed: [{ path: "/d/c.pdf", reason: "not a pdf" }], chunks: 0, bytes: 0, interrupted: false, elapsed_ms: 5 });
    await settle();
    expect(view.element.querySelector(".docs-note")?.textContent).toBe("C scan still cannot be read: not a pdf");
    expect(vi.mocked(client.listDocuments).mock.calls.length).toBeGreaterThan(listed);
  });

  it("opens the source at the hit from its snippet as well as its title", async () => {
    const hit: Hit = {
      doc_id: 4,
      chunk_id: "4:2",
      title: "Harbour history",
      path: "/d/harbour.md",
      format: "markdown",
      location: "Observatory",
      page: null,
      score: 3.2,
      snippet_html: "the <b>observatory</b> was built",
      text: "the observatory was built in 1923",
      span: [10, 43],
      scores: { lexical: 3.2, semantic: null, fused: 3.2 },
    };
    const client = fakeClient({ search: vi.fn(() => Promise.resolve([hit])), documentText: vi.fn(() => Promise.resolve("x".repeat(60))) });
    const view = libraryView(client, info);
    document.body.replaceChildren(view.element);
    const input = view.element.querySelector<HTMLInputElement>("#library-search");
    if (input === null) throw new Error("no search box");
    input.value = "observatory";
    input.dispatchEvent(new Event("input"));
    await new Promise((resolve) => setTimeout(resolve, 200));
    await settle();
    expect(view.element.querySelector(".panel-host")?.children.length).toBe(0);
    view.element.querySelector<HTMLElement>(".hit .snippet mark")?.click();
    expect(view.element.querySelector(".panel-host")?.children.length).toBe(1);
    expect(client.documentText).toHaveBeenCalledWith(4);
  });
});

describe("document cards", () => {
  const card = {
    title: "Dense Passage Retrieval for Open-Domain Question Answering",
    authors: ["Vladimir Karpukhin", "Barlas Oğuz", "Sewon Min", "Patrick Lewis"],
    date: "2020-09-30",
    identifiers: [{ kind: "arxiv" as const, value: "2004.04906v3", source: "first_page" as const }],
    source: { title: "first_page" as const, authors: "first_page" as const, date: "first_page" as const },
  };

  it("shows the card's title, authors, date and identifiers under a listed document", async () => {
    const client = fakeClient({
      listDocuments: vi.fn(() =>
        Promise.resolve([
          { id: 7, path: "/d/dpr.pdf", title: "dpr", format: "pdf", size: 2048, pages: 13, chunks: 40, status: "indexed", error: null, warnings: [], duplicate_of: null, updated_at: "2026-01-02T03:04:05Z", card, embedded: false },
        ]),
      ),
    });
    const view = libraryView(client, info);
    document.body.replaceChildren(view.element);
    await settle();

    const line = view.element.querySelector("tr.doc .doc-card");
    expect(line?.textContent).toBe(
      "Dense Passage Retrieval for Open-Domain Question Answering · Vladimir Karpukhin, Barlas Oğuz, Sewon Min et al. · 2020-09-30 · arXiv 2004.04906v3",
    );
    expect(line?.querySelector(".card-authors")?.getAttribute("title")).toBe("Vladimir Karpukhin, Barlas Oğuz, Sewon Min, Patrick Lewis");
  });

  it("leaves out a title equal to the listed one, and never turns card text into markup", () => {
    const line = cardLine({ ...card, title: "<img src=x onerror=alert(1)>", authors: ["<b>Ada</b>"], identifiers: [] }, null);
    expect(line?.querySelector("img, b")).toBeNull();
    expect(line?.textContent).toBe("<img src=x onerror=alert(1)> · <b>Ada</b> · 2020-09-30");
    expect(cardLine({ ...card, authors: [], date: null, identifiers: [] }, card.title)).toBeNull();
    expect(cardLine(null, "x")).toBeNull();
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

describe("semantic search in the Library view", () => {
  const off = (over: Partial<SemanticStatus> = {}): SemanticStatus => ({
    on: false,
    model: null,
    embedded: 0,
    total: 0,
    reason:
      "no embedding model is installed: download all-MiniLM-L6-v2 (about 90 MB) once, or choose a model folder or a model server in Settings › Semantic search",
    loading: false,
    can_download: true,
    offline: false,
    progress: null,
    last_error: null,
    ...over,
  });
  const doc = (id: number, embedded: boolean): DocumentInfo => ({
    id,
    path: `/d/${id}.md`,
    title: `Doc ${id}`,
    format: "markdown",
    size: 100,
    pages: null,
    chunks: 4,
    status: "indexed",
    error: null,
    warnings: [],
    duplicate_of: null,
    updated_at: "2026-01-02T03:04:05Z",
    card: null,
    embedded,
  });

  it("says why semantic search is off and downloads the model from the banner, with progress", async () => {
    let finish: () => void = () => undefined;
    let emit: (e: { file: string; index: number; files: number; done: number; total: number | null }) => void = () => undefined;
    const client = fakeClient({
      semanticStatus: vi.fn(() => Promise.resolve(off())),
      downloadModel: vi.fn((onEvent) => {
        emit = onEvent;
        return new Promise<void>((resolve) => (finish = resolve));
      }),
    });
    const view = libraryView(client, info);
    document.body.replaceChildren(view.element);
    await settle();
    const banner = view.element.querySelector<HTMLElement>(".semantic-banner");
    expect(banner?.hidden).toBe(false);
    expect(banner?.querySelector(".card-title")?.textContent).toBe("Semantic search is off");
    expect(banner?.querySelector(".semantic-reason")?.textContent).toMatch(/^No embedding model is installed: download all-MiniLM-L6-v2/);

    const download = [...(banner?.querySelectorAll<HTMLButtonElement>("button") ?? [])].find((b) => b.textContent?.startsWith("Download"));
    download?.click();
    expect(client.downloadModel).toHaveBeenCalled();
    emit({ file: "model.safetensors", index: 2, files: 3, done: 45_000_000, total: 91_334_235 });
    const bar = view.element.querySelector<HTMLProgressElement>(".semantic-banner progress");
    expect(bar?.value).toBe(45_000_000);
    expect(view.element.querySelector(".semantic-banner [role=status]")?.textContent).toBe("Downloading the embedding model: 43 MB of 87 MB");
    const cancel = [...view.element.querySelectorAll<HTMLButtonElement>(".semantic-banner button")].find((b) => b.textContent === "Cancel download");
    cancel?.click();
    expect(client.cancelDownload).toHaveBeenCalled();

    vi.mocked(client.semanticStatus).mockImplementation(() => Promise.resolve({ ...off(), on: true, model: "local:all-MiniLM-L6-v2", reason: null, can_download: false }));
    finish();
    await settle();
    await settle();
    expect(view.element.querySelector<HTMLElement>(".semantic-banner")?.hidden).toBe(true);
  });

  it("offers Settings instead of a download while offline", async () => {
    const openSettings = vi.fn();
    const client = fakeClient({ semanticStatus: vi.fn(() => Promise.resolve(off({ offline: true }))) });
    const view = libraryView(client, info, openSettings);
    await settle();
    const buttons = [...view.element.querySelectorAll<HTMLButtonElement>(".semantic-banner button")];
    expect(buttons.map((b) => b.textContent)).toEqual(["Open Settings"]);
    expect(view.element.querySelector(".semantic-banner")?.textContent).toContain("Catena is offline");
    buttons[0]?.click();
    expect(openSettings).toHaveBeenCalled();
    expect(client.downloadModel).not.toHaveBeenCalled();
  });

  it("shows embedding progress, each document's embedded state, and each hit's scores", async () => {
    let emit: (e: EmbedEvent) => void = () => undefined;
    const on: SemanticStatus = { ...off(), on: true, model: "local:all-MiniLM-L6-v2", embedded: 1, total: 2, reason: null, can_download: false };
    const hit: Hit = {
      doc_id: 1,
      chunk_id: "1:0",
      title: "Doc 1",
      path: "/d/1.md",
      format: "markdown",
      location: "Intro",
      page: null,
      score: 0.03,
      snippet_html: "the <b>fare</b>",
      text: "the fare",
      span: [0, 8],
      scores: { lexical: 7.4213, semantic: 0.6812, fused: 0.0325 },
    };
    const client = fakeClient({
      semanticStatus: vi.fn(() => Promise.resolve(on)),
      watchEmbedding: vi.fn((onEvent: (e: EmbedEvent) => void) => {
        emit = onEvent;
        return Promise.resolve();
      }),
      listDocuments: vi.fn(() => Promise.resolve([doc(1, true), doc(2, false)])),
      search: vi.fn(() => Promise.resolve([hit, { ...hit, chunk_id: "2:0", scores: { lexical: null, semantic: 0.52, fused: 0.016 } }])),
    });
    const view = libraryView(client, info);
    document.body.replaceChildren(view.element);
    await settle();
    await settle();
    expect(view.element.querySelector<HTMLElement>(".semantic-banner")?.hidden).toBe(true);
    const states = [...view.element.querySelectorAll("tr.doc .embed-state")].map((e) => e.textContent);
    expect(states).toEqual(["✓ Embedded", "Not embedded yet"]);

    emit({ type: "progress", model: "local:all-MiniLM-L6-v2", documents_done: 120, documents_total: 480, chunks_done: 1200, chunks_total: 4800, eta_ms: 90_000 });
    const line = view.element.querySelector<HTMLElement>(".embed-line");
    expect(line?.hidden).toBe(false);
    expect(line?.querySelector("[role=status]")?.textContent).toBe("Embedding 120 of 480 documents… (1,200 of 4,800 passages, about 1 min 30 s left)");
    line?.querySelector<HTMLButtonElement>("button")?.click();
    expect(client.cancelEmbedding).toHaveBeenCalled();

    emit({ type: "finished", model: "local:all-MiniLM-L6-v2", documents: 2, remaining: 0, interrupted: false, error: null });
    await settle();
    expect(view.element.querySelector<HTMLElement>(".embed-line")?.hidden).toBe(true);
    emit({ type: "finished", model: "ollama:nomic-embed-text", documents: 0, remaining: 2, interrupted: false, error: "the server did not answer" });
    await settle();
    expect(view.element.querySelector(".embed-line [role=status]")?.textContent).toContain("Embedding stopped: the server did not answer");

    const search = view.element.querySelector<HTMLInputElement>("#library-search");
    if (search === null) throw new Error("no search box");
    search.value = "train trip cost";
    search.dispatchEvent(new Event("input"));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const scores = [...view.element.querySelectorAll(".hit .hit-scores")].map((e) => e.textContent);
    expect(scores).toEqual(["keywords 7.42 · meaning 0.68", "no keyword match · meaning 0.52"]);
  });

  it("words progress and scores", () => {
    expect(embedText({ model: "m", documents_done: 1, documents_total: 1, chunks_done: 3, chunks_total: 3, eta_ms: 5 })).toBe(
      "Embedding 1 of 1 document… (3 of 3 passages)",
    );
    const base = { doc_id: 1, chunk_id: "1:0", title: "", path: "", format: "", location: "", page: null, score: 2.5, snippet_html: "", text: "", span: [0, 0] as [number, number] };
    expect(scoreText({ ...base, scores: { lexical: 2.5, semantic: null, fused: 2.5 } })).toBe("keywords 2.50");
  });

  it("lists watched folders with their state and pauses, resumes and stops watching them", async () => {
    const folder = (over: Partial<WatchedSource>): WatchedSource => ({
      id: 1,
      path: "/home/ada/papers",
      state: "watching",
      error: null,
      polling: false,
      skipped: 0,
      last_scan: null,
      ...over,
    });
    let sources: WatchedSource[] = [
      folder({ skipped: 3 }),
      folder({ id: 2, path: "/mnt/share/notes", state: "paused", polling: true }),
      folder({ id: 3, path: "/media/usb/old", state: "error", error: "the folder is gone" }),
    ];
    let notify: (e: SourcesEvent) => void = () => undefined;
    const client = fakeClient({
      listSources: vi.fn(() => Promise.resolve(sources)),
      watchSources: vi.fn((onEvent: (e: SourcesEvent) => void) => {
        notify = onEvent;
        return Promise.resolve();
      }),
    });
    const view = libraryView(client, info);
    document.body.replaceChildren(view.element);
    await settle();

    const card = view.element.querySelector<HTMLElement>(".sources-card");
    expect(card?.hidden).toBe(false);
    const rows = () => [...view.element.querySelectorAll(".source")].map((li) => li.textContent ?? "");
    expect(rows()[0]).toContain("Watching · 3 files of other types skipped");
    expect(rows()[1]).toContain("Paused · polled");
    expect(rows()[2]).toContain("Error: the folder is gone");

    const button = (label: string) => {
      const b = view.element.querySelector<HTMLButtonElement>(`button[aria-label="${label}"]`);
      if (b === null) throw new Error(`no button ${label}`);
      return b;
    };
    button("Pause watching /home/ada/papers").click();
    expect(client.pauseSource).toHaveBeenCalledWith(1);
    button("Resume watching /mnt/share/notes").click();
    expect(client.resumeSource).toHaveBeenCalledWith(2);

    // Stopping asks first; the documents stay.
    button("Stop watching /media/usb/old").click();
    expect(rows()[2]).toContain("Its documents stay");
    const confirm = [...view.element.querySelectorAll<HTMLButtonElement>(".source button.danger")][0];
    confirm?.click();
    expect(client.removeSource).toHaveBeenCalledWith(3);
    sources = sources.slice(0, 2);
    await settle();
    expect(rows()).toHaveLength(2);

    // The watcher's news lists folders and documents again.
    const listed = vi.mocked(client.listDocuments).mock.calls.length;
    sources = [folder({ state: "scanning" })];
    notify({ type: "changed" });
    await settle();
    expect(rows()).toEqual([expect.stringContaining("Scanning")]);
    expect(vi.mocked(client.listDocuments).mock.calls.length).toBeGreaterThan(listed);
  });

  it("hides the watched folders when there are none and words their state", async () => {
    const view = libraryView(fakeClient(), info);
    await settle();
    expect(view.element.querySelector<HTMLElement>(".sources-card")?.hidden).toBe(true);
    const s: WatchedSource = { id: 1, path: "/p", state: "idle", error: null, polling: false, skipped: 1, last_scan: null };
    expect(sourceText(s)).toBe("Not watched now · 1 file of other types skipped");
  });
});
