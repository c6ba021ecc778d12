// The Library view: add files by dropping them on the window or picking them, watch each file go
// in with overall files/bytes/ETA, see what failed and why, search while it works, filter and sort
// the documents (status, format, folder), show a file in its folder, read a failed file again,
// remove documents, and see the watched folders (added folders stay in sync) with pause, resume
// and stop.
import { sourcePanel } from "../components/source";
import { h } from "../dom";
import { bytes, day, duration, fileName } from "../format";
import { icon } from "../icons";
import { type AppInfo, type Client, toIpcError } from "../ipc/client";
import type {
  DocumentCard,
  DocumentInfo,
  EmbedEvent,
  EmbedProgress,
  EvidenceRecord,
  Hit,
  IngestEvent,
  Progress,
  SemanticStatus,
  WatchedSource,
} from "../types";

/** Loads app info; `fresh` asks again instead of reusing an earlier answer (for "Try again"). */
export type LoadInfo = (fresh?: boolean) => Promise<AppInfo>;

export interface LibraryView {
  element: HTMLElement;
  /** Adds paths (dropped or picked); batches run one after another. */
  add(paths: string[]): void;
  focusSearch(): void;
  closePanels(): boolean;
  refresh(): void;
}

const UNESCAPE: Record<string, string> = { "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#39;": "'", "&#x27;": "'" };
const unescape = (s: string) => s.replace(/&(?:amp|lt|gt|quot|#39|#x27);/g, (m) => UNESCAPE[m] ?? m);

/** A snippet with `<b>` marks as DOM nodes, without ever parsing it as HTML. */
export function snippet(html: string): HTMLElement {
  const p = h("p", { class: "snippet" });
  html.split(/(<b>.*?<\/b>)/g).forEach((part) => {
    if (part.startsWith("<b>") && part.endsWith("</b>")) p.append(h("mark", {}, unescape(part.slice(3, -4))));
    else if (part !== "") p.append(unescape(part));
  });
  return p;
}

const FILE_LABEL: Record<string, string> = {
  ingested: "Added",
  unchanged: "Unchanged",
  duplicate: "Duplicate",
  failed: "Failed",
  removed: "Removed",
  moved: "Moved",
};

const SOURCE_LABEL: Record<WatchedSource["state"], string> = {
  watching: "Watching",
  scanning: "Scanning",
  paused: "Paused",
  error: "Error",
  idle: "Not watched now",
};

/** A watched folder's state line: "Watching · polled · 3 files of other types skipped" or the error. */
export function sourceText(s: WatchedSource): string {
  const parts: string[] = [s.state === "error" && s.error ? `Error: ${s.error}` : SOURCE_LABEL[s.state]];
  if (s.polling) parts.push("polled");
  if (s.skipped > 0) parts.push(`${s.skipped.toLocaleString("en")} ${s.skipped === 1 ? "file" : "files"} of other types skipped`);
  return parts.join(" · ");
}

const ID_LABEL: Record<string, string> = { doi: "DOI", arxiv: "arXiv", isbn: "ISBN", issn: "ISSN", pmid: "PMID", docket: "Docket" };

/**
 * A document's card under its title: its own title when it differs from the listed one, the
 * authors (three, then "et al."), the date and the identifiers. `null` when the card is empty.
 */
export function cardLine(card: DocumentCard | null | undefined, listedTitle: string | null): HTMLElement | null {
  if (!card) return null;
  const parts: HTMLElement[] = [];
  if (card.title && card.title !== listedTitle) parts.push(h("span", { class: "card-title-text" }, card.title));
  if (card.authors.length > 0) {
    const shown = card.authors.slice(0, 3).join(", ");
    parts.push(h("span", { class: "card-authors", title: card.authors.join(", ") }, card.authors.length > 3 ? `${shown} et al.` : shown));
  }
  if (card.date) parts.push(h("span", { class: "card-date" }, card.date));
  for (const id of card.identifiers) parts.push(h("span", { class: "card-id" }, `${ID_LABEL[id.kind] ?? id.kind} ${id.value}`));
  if (parts.length === 0) return null;
  const line = h("span", { class: "doc-card" });
  parts.forEach((p, i) => {
    if (i > 0) line.append(" · ");
    line.append(p);
  });
  return line;
}

/** The embedding line: "Embedding 120 of 480 documents… (1,200 of 4,800 passages, about 2 min left)". */
export function embedText(p: EmbedProgress): string {
  const docs = `Embedding ${p.documents_done.toLocaleString("en")} of ${p.documents_total.toLocaleString("en")} ${p.documents_total === 1 ? "document" : "documents"}…`;
  const parts = [`${p.chunks_done.toLocaleString("en")} of ${p.chunks_total.toLocaleString("en")} passages`];
  if (p.eta_ms !== null && p.chunks_done < p.chunks_total) parts.push(`about ${duration(p.eta_ms)} left`);
  return `${docs} (${parts.join(", ")})`;
}

/** A hit's scores for its detail line: "keywords 7.42 · meaning 0.68". */
export function scoreText(hit: Hit): string {
  const s = hit.scores;
  const parts: string[] = [];
  parts.push(s.lexical === null ? "no keyword match" : `keywords ${s.lexical.toFixed(2)}`);
  if (s.semantic !== null) parts.push(`meaning ${s.semantic.toFixed(2)}`);
  return parts.join(" · ");
}

const capitalise = (t: string) => (t === "" ? t : `${t[0]?.toUpperCase() ?? ""}${t.slice(1)}`);

export function progressText(p: Progress): string {
  const parts = [`${p.files_done} of ${p.files_total} files`, `${bytes(p.bytes_done)} of ${bytes(p.bytes_total)}`];
  if (p.eta_ms !== null && p.files_done < p.files_total) parts.push(`about ${duration(p.eta_ms)} left`);
  return parts.join(" · ");
}

/** "1 page", "2 pages", "1,024 pages". */
export function plural(n: number, one: string, many: string): string {
  return `${n.toLocaleString("en")} ${n === 1 ? one : many}`;
}

export type StatusFilter = "all" | "indexed" | "failed" | "duplicate" | "pending";
export type SortKey = "date-desc" | "date-asc" | "name-asc" | "name-desc" | "size-desc" | "size-asc" | "pages-desc" | "pages-asc";

/** What the Documents table shows: `format` and `folder` are "" for all. */
export interface DocFilter {
  status: StatusFilter;
  format: string;
  folder: string;
  sort: SortKey;
}

const STATUS_FILTERS: [StatusFilter, string][] = [
  ["all", "All"],
  ["indexed", "Indexed"],
  ["failed", "Failed"],
  ["duplicate", "Duplicate"],
  ["pending", "Being read"],
];

const STATUS_LABEL: Record<string, string> = { indexed: "Indexed", failed: "Failed", duplicate: "Duplicate", pending: "Being read" };

const SORTS: [SortKey, string][] = [
  ["date-desc", "Newest first"],
  ["date-asc", "Oldest first"],
  ["name-asc", "Name, A to Z"],
  ["name-desc", "Name, Z to A"],
  ["size-desc", "Largest first"],
  ["size-asc", "Smallest first"],
  ["pages-desc", "Most pages"],
  ["pages-asc", "Fewest pages"],
];

/** The name a document is listed under: its title, else its file name. */
export const docName = (d: DocumentInfo): string => d.title || fileName(d.path);

/** The folder holding a file: "/home/ada/papers" for "/home/ada/papers/a.pdf". */
export function folderOf(path: string): string {
  const cut = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  if (cut < 0) return "";
  return cut === 0 ? path.slice(0, 1) : path.slice(0, cut);
}

const formatKey = (d: DocumentInfo): string => d.format ?? "";
const formatLabel = (f: string): string => (f === "" ? "Unknown" : f.toUpperCase());

/** How many documents each status filter shows. */
export function statusCounts(docs: DocumentInfo[]): Record<StatusFilter, number> {
  const counts: Record<StatusFilter, number> = { all: docs.length, indexed: 0, failed: 0, duplicate: 0, pending: 0 };
  for (const d of docs) {
    if (d.status === "indexed" || d.status === "failed" || d.status === "duplicate" || d.status === "pending") counts[d.status]++;
  }
  return counts;
}

export function filterDocs(docs: DocumentInfo[], f: Pick<DocFilter, "status" | "format" | "folder">): DocumentInfo[] {
  return docs.filter(
    (d) =>
      (f.status === "all" || d.status === f.status) &&
      (f.format === "" || formatKey(d) === f.format) &&
      (f.folder === "" || folderOf(d.path) === f.folder),
  );
}

const byName = (a: DocumentInfo, b: DocumentInfo) => docName(a).localeCompare(docName(b), undefined, { sensitivity: "base", numeric: true });

/** A sorted copy; documents without a page count come last whichever way pages are sorted. */
export function sortDocs(docs: DocumentInfo[], sort: SortKey): DocumentInfo[] {
  const [key, dir] = sort.split("-") as ["date" | "name" | "size" | "pages", "asc" | "desc"];
  const sign = dir === "asc" ? 1 : -1;
  const compare = (a: DocumentInfo, b: DocumentInfo): number => {
    switch (key) {
      case "name":
        return sign * byName(a, b);
      case "size":
        return sign * (a.size - b.size) || byName(a, b);
      case "pages":
        if (a.pages === null || b.pages === null) return (a.pages === null ? 1 : 0) - (b.pages === null ? 1 : 0) || byName(a, b);
        return sign * (a.pages - b.pages) || byName(a, b);
      default:
        // Ties keep the order the library listed them in (the sort is stable).
        return sign * (Date.parse(a.updated_at) - Date.parse(b.updated_at) || 0);
    }
  };
  return [...docs].sort(compare);
}

/** The facts of a row's Details cell: size, format, pages, passages. */
export function docFacts(d: DocumentInfo): string[] {
  const facts = [bytes(d.size)];
  if (d.format) facts.push(d.format.toUpperCase());
  if (d.pages) facts.push(plural(d.pages, "page", "pages"));
  if (d.chunks) facts.push(plural(d.chunks, "passage", "passages"));
  return facts;
}

/** "2–9, 12" for pages 12, 2, 3, …, 9. */
export function pageRanges(pages: number[]): string {
  const sorted = [...new Set(pages)].sort((a, b) => a - b);
  const runs: string[] = [];
  let i = 0;
  while (i < sorted.length) {
    const first = sorted[i] ?? 0;
    let last = first;
    while (sorted[i + 1] === last + 1) {
      last += 1;
      i += 1;
    }
    runs.push(first === last ? `${first}` : last === first + 1 ? `${first}, ${last}` : `${first}–${last}`);
    i += 1;
  }
  return runs.join(", ");
}

const PAGE_WARNING = /^page (\d+): (.+)$/;
const LOW_CONFIDENCE = /^OCR confidence \d+% is low; its text may be wrong$/;

/**
 * Per-page warnings with the same text as one line per text, with runs of pages collapsed:
 * "pages 2–9 could not be read", "pages 3, 4: no text layer (needs OCR)". Other warnings are kept
 * once each, in their first order.
 */
export function summariseWarnings(warnings: string[]): string[] {
  const groups = new Map<string, number[] | null>();
  for (const w of warnings) {
    const m = PAGE_WARNING.exec(w);
    if (m === null) {
      if (!groups.has(w)) groups.set(w, null);
      continue;
    }
    const text = LOW_CONFIDENCE.test(m[2] ?? "") ? "OCR confidence is low; the text may be wrong" : (m[2] ?? "");
    const key = `page:${text}`;
    const pages = groups.get(key) ?? [];
    pages.push(Number(m[1]));
    groups.set(key, pages);
  }
  return [...groups].map(([key, pages]) => {
    if (pages === null) return key;
    const text = key.slice("page:".length);
    const many = new Set(pages).size > 1;
    const which = `${many ? "pages" : "page"} ${pageRanges(pages)}`;
    return text === "cannot be read" ? `${which} could not be read` : `${which}: ${text}`;
  });
}

const SHOWN_WARNINGS = 3;

/** A document's warnings, summarised; past the first few, behind "N more". */
function warningList(warnings: string[]): HTMLElement | null {
  const lines = summariseWarnings(warnings).map(capitalise);
  if (lines.length === 0) return null;
  const item = (t: string) => h("li", {}, t);
  const list = h("ul", { class: "doc-warning", "aria-label": "Warnings" }, ...lines.slice(0, SHOWN_WARNINGS).map(item));
  if (lines.length <= SHOWN_WARNINGS) return list;
  const rest = lines.length - SHOWN_WARNINGS;
  return h(
    "div",
    { class: "doc-warnings" },
    list,
    h("details", { class: "doc-warning-more" }, h("summary", { class: "small" }, `${plural(rest, "more warning", "more warnings")}`), h("ul", { class: "doc-warning" }, ...lines.slice(SHOWN_WARNINGS).map(item))),
  );
}

/** `openSettings` shows the Settings view (the semantic-search banner links to it). */
export function libraryView(client: Client, loadInfo: LoadInfo, openSettings: () => void = () => undefined): LibraryView {
  let batches: string[][] = [];
  let busy = false;
  let panel: HTMLElement | null = null;
  let failures: { path: string; reason: string }[] = [];

  // Adding
  const addFiles = h("button", { type: "button", class: "button primary" }, "Add files…");
  const addFolder = h("button", { type: "button", class: "button" }, "Add folder…");
  const pick = (folders: boolean) =>
    client.pickPaths(folders).then(
      (paths) => paths.length > 0 && add(paths),
      (raw) => (status.textContent = toIpcError(raw).message),
    );
  addFiles.addEventListener("click", () => void pick(false));
  addFolder.addEventListener("click", () => void pick(true));

  // Progress
  const bar = h("progress", { class: "progress", max: "1", value: "0", "aria-labelledby": "ingest-title" });
  const status = h("p", { class: "progress-text", role: "status", "aria-live": "polite" });
  const fileList = h("ul", { class: "file-list", "aria-label": "Files in this batch" });
  const stop = h("button", { type: "button", class: "button" }, "Stop");
  stop.addEventListener("click", () => {
    status.textContent = "Stopping after the current file…";
    void client.cancelIngest();
  });
  const closeProgress = h("button", { type: "button", class: "button subtle", hidden: true }, "Close");
  closeProgress.addEventListener("click", () => (progressCard.hidden = true));
  const progressCard = h(
    "section",
    { class: "card progress-card", "aria-labelledby": "ingest-title", hidden: true },
    h("div", { class: "card-head" }, h("h2", { id: "ingest-title", class: "card-title" }, "Adding files"), stop, closeProgress),
    bar,
    status,
    fileList,
  );
  const failedCard = h("section", { class: "card failed-card", "aria-labelledby": "failed-title", hidden: true });

  // Semantic search: the banner while it is off, the embedding line while documents are embedded.
  let semantic: SemanticStatus | null = null;
  let embedding: EmbedProgress | null = null;
  let embedNote = "";
  let downloading = false;
  const banner = h("section", { class: "card semantic-banner", "aria-labelledby": "semantic-title", hidden: true });
  const embedLine = h("div", { class: "embed-line", hidden: true });
  const embedStatus = h("p", { class: "small embed-status", role: "status", "aria-live": "polite" });
  const embedStop = h("button", { type: "button", class: "button subtle small" }, "Pause");
  embedStop.addEventListener("click", () => {
    embedStatus.textContent = "Pausing after the current passages…";
    void client.cancelEmbedding();
  });
  embedLine.append(embedStatus, embedStop);
  const downloadBar = h("progress", { class: "progress", max: "1", value: "0", "aria-label": "Model download" });
  const downloadText = h("p", { class: "small", role: "status", "aria-live": "polite" });

  const download = () => {
    downloading = true;
    paintSemantic();
    client
      .downloadModel((e) => {
        downloadBar.max = Math.max(e.total ?? e.done, 1);
        downloadBar.value = e.done;
        downloadText.textContent = `Downloading the embedding model: ${bytes(e.done)}${e.total ? ` of ${bytes(e.total)}` : ""}`;
      })
      .then(
        () => {
          downloadText.textContent = "Downloaded. Turning semantic search on…";
        },
        (raw) => {
          const e = toIpcError(raw);
          downloadText.textContent = e.code === "Cancelled" ? "Download paused; what arrived is kept." : e.message;
        },
      )
      .finally(() => {
        downloading = false;
        loadSemantic();
      });
  };

  const paintSemantic = () => {
    const st = semantic;
    const off = st !== null && !st.on && !st.loading;
    banner.hidden = !off && !downloading;
    if (!banner.hidden && st !== null) {
      const actions = h("div", { class: "banner-actions" });
      if (downloading) {
        const cancel = h("button", { type: "button", class: "button" }, "Cancel download");
        cancel.addEventListener("click", () => void client.cancelDownload());
        actions.append(cancel);
      } else {
        if (st.can_download && !st.offline) {
          const get = h("button", { type: "button", class: "button primary" }, "Download the model (about 90 MB)");
          get.addEventListener("click", download);
          actions.append(get);
        }
        const settings = h("button", { type: "button", class: "button" }, "Open Settings");
        settings.addEventListener("click", openSettings);
        actions.append(settings);
      }
      banner.replaceChildren(
        h("h2", { id: "semantic-title", class: "card-title" }, "Semantic search is off"),
        h("p", { class: "semantic-reason" }, capitalise(st.reason ?? "no embedding model is set up.")),
        h(
          "p",
          { class: "muted small" },
          st.can_download && st.offline
            ? "Catena is offline, so the model cannot be downloaded now: turn Offline off in Settings, or choose a model folder or server there. Until then, search finds passages by their words only."
            : "Until it is on, search finds passages by their words only, not by what they mean.",
        ),
        downloading || downloadText.textContent !== "" ? h("div", {}, downloading ? downloadBar : null, downloadText) : "",
        actions,
      );
    }
    if (embedding !== null) {
      embedLine.hidden = false;
      embedStop.hidden = false;
      embedStatus.textContent = embedText(embedding);
    } else if (st !== null && st.loading) {
      embedLine.hidden = false;
      embedStop.hidden = true;
      embedStatus.textContent = "Loading the embedding model…";
    } else if (embedNote !== "") {
      embedLine.hidden = false;
      embedStop.hidden = true;
      embedStatus.textContent = embedNote;
    } else {
      embedLine.hidden = true;
    }
  };

  const loadSemantic = () => {
    client.semanticStatus().then(
      (st) => {
        semantic = st;
        embedding = st.progress;
        if (st.last_error && embedding === null) embedNote = `Embedding stopped: ${st.last_error}. Keyword search works; the next start resumes it.`;
        paintSemantic();
        refresh();
      },
      () => undefined,
    );
  };

  const onEmbed = (e: EmbedEvent) => {
    if (e.type === "progress") {
      const { type: _type, ...p } = e;
      embedding = p;
      embedNote = "";
      paintSemantic();
    } else if (e.type === "finished") {
      embedding = null;
      embedNote = e.error
        ? `Embedding stopped: ${e.error}. Keyword search works; the next start resumes it.`
        : e.interrupted
          ? `Embedding paused with ${e.remaining} ${e.remaining === 1 ? "document" : "documents"} to go; it resumes after the next files are added or at the next start.`
          : "";
      loadSemantic();
    } else {
      loadSemantic();
    }
  };
  client.watchEmbedding(onEmbed).catch(() => undefined);

  // Search
  const search = h("input", {
    type: "search",
    id: "library-search",
    class: "search-input",
    placeholder: "Search your library  (Ctrl+K)",
    autocomplete: "off",
  });
  const hits = h("ol", { class: "hits", "aria-label": "Search results" });
  const hitStatus = h("p", { class: "muted small", role: "status", "aria-live": "polite" });
  let searchTimer: ReturnType<typeof setTimeout> | undefined;
  let searchSeq = 0;
  const runSearch = () => {
    const q = search.value.trim();
    const seq = ++searchSeq;
    if (q === "") {
      hits.replaceChildren();
      hitStatus.textContent = "";
      return;
    }
    client.search(q, 20).then(
      (found) => {
        if (seq !== searchSeq) return;
        hitStatus.textContent = found.length === 0 ? "No passages match." : `${found.length} passages, best first.`;
        hits.replaceChildren(...found.map(hitItem));
      },
      (raw) => {
        if (seq === searchSeq) hitStatus.textContent = toIpcError(raw).message;
      },
    );
  };
  search.addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(runSearch, 150);
  });

  const hitItem = (hit: Hit) => {
    const open = h("button", { type: "button", class: "link-button hit-title" }, hit.title || fileName(hit.path));
    open.addEventListener("click", () => openHit(hit));
    // The snippet opens the source at the hit too (keyboard users have the title button); a
    // click that ends a text selection leaves the selection alone.
    const text = snippet(hit.snippet_html);
    text.classList.add("snippet-open");
    text.title = "Open the source at this passage";
    text.addEventListener("click", () => {
      if ((window.getSelection()?.toString() ?? "") !== "") return;
      openHit(hit);
    });
    return h(
      "li",
      { class: "hit" },
      open,
      h("span", { class: "muted small" }, [hit.location, fileName(hit.path)].filter(Boolean).join(" · ")),
      text,
      h("span", { class: "hit-scores muted small", title: "How the passage matched: by its words (BM25) and by its meaning (similarity, 0 to 1)" }, scoreText(hit)),
    );
  };

  const openHit = (hit: Hit) => {
    const ev: EvidenceRecord = {
      id: 0,
      node_id: 0,
      kind: "document",
      doc_id: hit.doc_id,
      chunk_id: hit.chunk_id,
      path: hit.path,
      title: hit.title || fileName(hit.path),
      page: hit.page,
      location: hit.location,
      url: null,
      span: hit.span,
      text: hit.text,
      score: hit.score,
      fetched_at: null,
    };
    closePanels();
    panel = sourcePanel(client, ev, () => closePanels());
    panelHost.replaceChildren(panel);
    panel.querySelector<HTMLElement>(".icon-button")?.focus();
  };

  // Watched folders
  const sourcesCard = h("section", { class: "card sources-card", "aria-labelledby": "sources-title", hidden: true });
  const loadSources = () => {
    client.listSources().then(renderSources, (raw) => {
      sourcesCard.hidden = false;
      sourcesCard.replaceChildren(errorBox(toIpcError(raw).message, loadSources));
    });
  };
  const sourceAction = (run: Promise<void>, cell: HTMLElement) =>
    run.then(loadSources, (raw) => cell.replaceChildren(h("span", { class: "small error-inline" }, toIpcError(raw).message)));
  const sourceRow = (s: WatchedSource) => {
    const actions = h("div", { class: "source-actions" });
    const toggle = h(
      "button",
      { type: "button", class: "button subtle", "aria-label": `${s.state === "paused" ? "Resume" : "Pause"} watching ${s.path}` },
      s.state === "paused" ? "Resume" : "Pause",
    );
    toggle.addEventListener("click", () => {
      toggle.disabled = true;
      void sourceAction(s.state === "paused" ? client.resumeSource(s.id) : client.pauseSource(s.id), actions);
    });
    const stopWatching = h("button", { type: "button", class: "button subtle", "aria-label": `Stop watching ${s.path}` }, "Stop watching");
    stopWatching.addEventListener("click", () => {
      const yes = h("button", { type: "button", class: "button danger" }, "Stop watching");
      const no = h("button", { type: "button", class: "button subtle" }, "Keep");
      actions.replaceChildren(h("span", { class: "small" }, "Stop watching? Its documents stay. "), yes, no);
      yes.focus();
      no.addEventListener("click", loadSources);
      yes.addEventListener("click", () => {
        yes.disabled = true;
        void sourceAction(client.removeSource(s.id), actions);
      });
    });
    actions.append(toggle, stopWatching);
    return h(
      "li",
      { class: `source source-${s.state}` },
      h("span", { class: "doc-path", title: s.path }, s.path),
      h("span", { class: `badge badge-source-${s.state} small` }, sourceText(s)),
      actions,
    );
  };
  const renderSources = (sources: WatchedSource[]) => {
    sourcesCard.hidden = sources.length === 0;
    sourcesCard.replaceChildren(
      h(
        "div",
        { class: "card-head" },
        h("h2", { id: "sources-title", class: "card-title" }, "Watched folders"),
        h("span", { class: "muted small" }, "Changes in these folders are added while Catena runs."),
      ),
      h("ul", { class: "source-list", "aria-label": "Watched folders" }, ...sources.map(sourceRow)),
    );
  };
  client
    .watchSources(() => {
      loadSources();
      refresh();
    })
    .catch(() => undefined);

  // Documents: filters, counts and sort above the table; they survive a refresh.
  let allDocs: DocumentInfo[] = [];
  const filter: DocFilter = { status: "all", format: "", folder: "", sort: "date-desc" };
  const docsBody = h("div", { class: "docs" });
  const docsCount = h("span", { class: "muted small" });
  const docsNote = h("p", { class: "small docs-note", role: "status", "aria-live": "polite" });
  const shownNote = h("p", { class: "small muted shown-note", role: "status", "aria-live": "polite" });
  const statusChips = h("div", { class: "status-filter", role: "group", "aria-label": "Show documents by status" });
  const formatSelect = h("select", { id: "doc-format", class: "tool-select" });
  const folderSelect = h("select", { id: "doc-folder", class: "tool-select" });
  const sortSelect = h("select", { id: "doc-sort", class: "tool-select" });
  for (const [value, label] of SORTS) sortSelect.append(h("option", { value }, label));
  sortSelect.value = filter.sort;
  formatSelect.addEventListener("change", () => {
    filter.format = formatSelect.value;
    paintDocs();
  });
  folderSelect.addEventListener("change", () => {
    filter.folder = folderSelect.value;
    paintDocs();
  });
  sortSelect.addEventListener("change", () => {
    filter.sort = sortSelect.value as SortKey;
    paintDocs();
  });
  const tool = (id: string, label: string, control: HTMLElement) =>
    h("span", { class: "tool" }, h("label", { for: id, class: "small muted" }, label), control);
  const docTools = h(
    "div",
    { class: "doc-tools", hidden: true },
    statusChips,
    h("div", { class: "doc-selects" }, tool("doc-format", "Format", formatSelect), tool("doc-folder", "Folder", folderSelect), tool("doc-sort", "Sort", sortSelect)),
  );

  const refresh = () => {
    client.listDocuments().then(renderDocs, (raw) => {
      docTools.hidden = true;
      docsBody.replaceChildren(errorBox(toIpcError(raw).message, refresh));
    });
  };

  /** Fills a select with `choices`, keeping the chosen value when it is still there. */
  const fillSelect = (select: HTMLSelectElement, all: string, choices: [string, string][], chosen: string): string => {
    const keep = choices.some(([value]) => value === chosen) ? chosen : "";
    select.replaceChildren(h("option", { value: "" }, all), ...choices.map(([value, label]) => h("option", { value, title: label }, label)));
    select.value = keep;
    return keep;
  };

  const renderDocs = (docs: DocumentInfo[]) => {
    allDocs = docs;
    const indexed = docs.filter((d) => d.status === "indexed");
    docsCount.textContent = plural(indexed.length, "document", "documents");
    if (docs.length === 0) {
      docTools.hidden = true;
      docsNote.textContent = "";
      docsBody.replaceChildren(
        h(
          "div",
          { class: "empty-state" },
          icon("documents", "empty-icon"),
          h("h2", {}, "Add your first documents"),
          h("p", {}, "Drop files or folders anywhere on this window, or use Add files."),
          h("p", { class: "muted small" }, "PDF, Word, EPUB, HTML, Markdown, text, CSV/TSV and Excel."),
        ),
      );
      return;
    }
    docTools.hidden = false;
    const formats = [...new Set(docs.map(formatKey))].sort();
    filter.format = fillSelect(formatSelect, "All formats", formats.map((f) => [f, formatLabel(f)]), filter.format);
    const folders = [...new Set(docs.map((d) => folderOf(d.path)))].sort((a, b) => a.localeCompare(b));
    filter.folder = fillSelect(folderSelect, "All folders", folders.map((f) => [f, f]), filter.folder);
    paintDocs();
  };

  const paintDocs = () => {
    const counts = statusCounts(allDocs);
    statusChips.replaceChildren(
      ...STATUS_FILTERS.map(([value, label]) => {
        const chip = h(
          "button",
          { type: "button", class: "status-chip", "aria-pressed": String(filter.status === value), "data-status": value },
          label,
          " ",
          h("span", { class: "chip-count" }, counts[value].toLocaleString("en")),
        );
        chip.addEventListener("click", () => {
          filter.status = value;
          paintDocs();
          statusChips.querySelector<HTMLButtonElement>(`[data-status="${value}"]`)?.focus();
        });
        return chip;
      }),
    );
    const shown = sortDocs(filterDocs(allDocs, filter), filter.sort);
    const filtered = filter.status !== "all" || filter.format !== "" || filter.folder !== "";
    shownNote.textContent = filtered ? `Showing ${shown.length.toLocaleString("en")} of ${plural(allDocs.length, "document", "documents")}.` : "";
    if (shown.length === 0) {
      const all = h("button", { type: "button", class: "button" }, "Show all documents");
      all.addEventListener("click", clearFilters);
      docsBody.replaceChildren(h("div", { class: "empty-filter" }, h("p", {}, "No documents match these filters."), all));
      return;
    }
    docsBody.replaceChildren(
      h(
        "table",
        { class: "doc-table", role: "table", "aria-labelledby": "docs-title" },
        h(
          "thead",
          { role: "rowgroup" },
          h(
            "tr",
            { role: "row" },
            h("th", { scope: "col", role: "columnheader", class: "col-doc" }, "Document"),
            h("th", { scope: "col", role: "columnheader", class: "col-size" }, "Details"),
            h("th", { scope: "col", role: "columnheader", class: "col-status" }, "Status"),
            h("th", { scope: "col", role: "columnheader", class: "col-actions" }, h("span", { class: "sr-only" }, "Actions")),
          ),
        ),
        h("tbody", { role: "rowgroup" }, ...shown.map(docRow)),
      ),
    );
  };

  const clearFilters = () => {
    filter.status = "all";
    filter.format = "";
    filter.folder = "";
    formatSelect.value = "";
    folderSelect.value = "";
    paintDocs();
  };

  /** A message about the last row action, for sighted and screen-reader users alike. */
  const say = (text: string) => {
    docsNote.textContent = text;
  };

  const docRow = (d: DocumentInfo) => {
    const name = docName(d);
    const actions = h("div", { class: "doc-actions" });
    const actionError = (raw: unknown) => {
      actions.querySelector(".error-inline")?.remove();
      actions.append(h("span", { class: "small error-inline", role: "alert" }, toIpcError(raw).message));
    };
    const reveal = h("button", { type: "button", class: "button subtle small", "aria-label": `Show ${name} in its folder` }, "Show in folder");
    reveal.addEventListener("click", () => {
      client.revealDocument(d.id).catch(actionError);
    });
    actions.append(reveal);
    if (d.status === "failed") {
      const reread = h("button", { type: "button", class: "button subtle small", "aria-label": `Read ${name} again` }, "Read again");
      reread.addEventListener("click", () => {
        reread.disabled = true;
        reread.textContent = "Reading…";
        say(`Reading ${name} again…`);
        client
          .rereadDocument(d.id, (e) => {
            if (e.type === "committed" && e.documents > 0) refresh();
          })
          .then(
            (summary) => {
              const failed = summary.failed[0];
              say(failed ? `${name} still cannot be read: ${failed.reason}` : summary.ingested > 0 ? `${name} was read and added.` : `${name} was read again.`);
              if (summary.ingested > 0) loadSemantic();
              refresh();
            },
            (raw) => {
              reread.disabled = false;
              reread.textContent = "Read again";
              say("");
              actionError(raw);
            },
          );
      });
      actions.append(reread);
    }
    const remove = h("button", { type: "button", class: "button subtle small", "aria-label": `Remove ${name}`, "aria-expanded": "false" }, "Remove");
    actions.append(remove);
    const row = h(
      "tr",
      { class: `doc status-${d.status}`, role: "row" },
      h(
        "td",
        { class: "doc-main", role: "cell" },
        h("span", { class: "doc-title" }, name),
        cardLine(d.card, d.title),
        h("span", { class: "doc-path", title: d.path }, d.path),
        d.error ? h("span", { class: "doc-error" }, d.error) : null,
        warningList(d.warnings),
      ),
      h("td", { class: "doc-facts", role: "cell" }, ...docFacts(d).map((f) => h("span", { class: "fact" }, f))),
      h(
        "td",
        { class: "doc-state", role: "cell" },
        h("span", { class: `badge badge-${d.status}` }, STATUS_LABEL[d.status] ?? d.status),
        h("span", { class: "muted small fact-line" }, day(d.updated_at)),
        semantic?.on && d.status === "indexed"
          ? h("span", { class: `embed-state small fact-line ${d.embedded ? "embedded" : "not-embedded"}` }, d.embedded ? "✓ Embedded" : "Not embedded yet")
          : null,
      ),
      h("td", { class: "actions", role: "cell" }, actions),
    );
    remove.addEventListener("click", () => {
      const open = row.nextElementSibling;
      if (open?.classList.contains("confirm-row")) {
        open.querySelector<HTMLButtonElement>("button.danger")?.focus();
        return;
      }
      const yes = h("button", { type: "button", class: "button danger" }, "Remove");
      const no = h("button", { type: "button", class: "button subtle" }, "Keep");
      const message = h("span", { class: "confirm-text" }, `Remove “${name}” from the library? The file itself stays where it is.`);
      const confirmRow = h(
        "tr",
        { class: "confirm-row", role: "row" },
        h(
          "td",
          { colspan: "4", role: "cell" },
          h("div", { class: "confirm", role: "group", "aria-label": `Remove ${name}` }, message, h("span", { class: "confirm-buttons" }, yes, no)),
        ),
      );
      row.after(confirmRow);
      row.classList.add("confirming");
      remove.setAttribute("aria-expanded", "true");
      yes.focus();
      const close = () => {
        confirmRow.remove();
        row.classList.remove("confirming");
        remove.setAttribute("aria-expanded", "false");
        remove.focus();
      };
      no.addEventListener("click", close);
      confirmRow.addEventListener("keydown", (e) => {
        if (e.key === "Escape") {
          e.stopPropagation();
          close();
        }
      });
      yes.addEventListener("click", () => {
        yes.disabled = true;
        client.removeDocument(d.id).then(refresh, (raw) => {
          yes.disabled = false;
          message.replaceChildren(h("span", { class: "error-inline" }, toIpcError(raw).message));
        });
      });
    });
    return row;
  };

  const dataDir = h("p", { class: "muted small data-dir" });
  loadInfo().then(
    (info) => dataDir.replaceChildren("Library folder: ", h("code", { "data-testid": "data-dir-path" }, info.data_dir)),
    (raw) => dataDir.replaceChildren(errorBox(toIpcError(raw).message, () => refresh())),
  );

  const panelHost = h("div", { class: "panel-host" });
  const element = h(
    "section",
    { class: "view wide library-view", "aria-labelledby": "library-title" },
    h(
      "header",
      { class: "view-header with-actions" },
      h("div", {}, h("h1", { id: "library-title" }, "Library"), h("p", { class: "lede" }, "The documents Catena searches and cites.")),
      h("div", { class: "header-actions" }, addFolder, addFiles),
    ),
    progressCard,
    failedCard,
    banner,
    embedLine,
    sourcesCard,
    h(
      "section",
      { class: "search-box", "aria-label": "Search the library" },
      h("label", { for: "library-search", class: "sr-only" }, "Search the library"),
      search,
      hitStatus,
      hits,
    ),
    h(
      "section",
      { class: "card docs-card", "aria-labelledby": "docs-title" },
      h("div", { class: "card-head" }, h("h2", { id: "docs-title", class: "card-title" }, "Documents"), docsCount),
      docTools,
      shownNote,
      docsNote,
      docsBody,
    ),
    dataDir,
    panelHost,
  );

  const renderFailures = () => {
    failedCard.hidden = failures.length === 0;
    const clear = h("button", { type: "button", class: "button subtle" }, "Dismiss");
    clear.addEventListener("click", () => {
      failures = [];
      renderFailures();
    });
    failedCard.replaceChildren(
      h("div", { class: "card-head" }, h("h2", { id: "failed-title", class: "card-title" }, `Couldn't add ${failures.length} ${failures.length === 1 ? "file" : "files"}`), clear),
      h("ul", { class: "failed-list" }, ...failures.map((f) => h("li", {}, h("span", { class: "doc-path" }, f.path), h("span", { class: "doc-error" }, f.reason)))),
    );
  };

  const onEvent = (e: IngestEvent) => {
    if (e.type === "scanned") {
      status.textContent = `Found ${e.files} ${e.files === 1 ? "file" : "files"} (${bytes(e.bytes)}).`;
      bar.max = Math.max(e.bytes, 1);
    } else if (e.type === "file") {
      bar.max = Math.max(e.progress.bytes_total, 1);
      bar.value = e.progress.bytes_done;
      status.textContent = progressText(e.progress);
      const li = h(
        "li",
        { class: `file outcome-${e.outcome}` },
        h("span", { class: `badge badge-${e.outcome}` }, FILE_LABEL[e.outcome] ?? e.outcome),
        h("span", { class: "file-name", title: e.path }, fileName(e.path)),
        e.detail ? h("span", { class: "muted small" }, e.detail) : e.chunks ? h("span", { class: "muted small" }, `${e.chunks} ${e.chunks === 1 ? "passage" : "passages"}`) : null,
      );
      fileList.prepend(li);
      while (fileList.children.length > 200) fileList.lastElementChild?.remove();
      if (e.outcome === "failed") {
        failures.push({ path: e.path, reason: e.detail ?? "unreadable" });
        renderFailures();
      }
    } else if (e.type === "committed" && e.documents > 0) {
      refresh();
    }
  };

  const next = () => {
    const batch = batches.shift();
    if (batch === undefined) {
      busy = false;
      stop.hidden = true;
      closeProgress.hidden = false;
      return;
    }
    busy = true;
    stop.hidden = false;
    closeProgress.hidden = true;
    progressCard.hidden = false;
    fileList.replaceChildren();
    bar.value = 0;
    status.textContent = "Looking at the files…";
    client.ingest(batch, onEvent).then(
      (summary) => {
        const parts = [`Added ${summary.ingested}`, `skipped ${summary.skipped}`];
        if (summary.failed.length > 0) parts.push(`${summary.failed.length} failed`);
        status.textContent = `${summary.interrupted ? "Stopped" : "Done"}: ${parts.join(", ")} in ${duration(summary.elapsed_ms)}.`;
        bar.value = bar.max;
        refresh();
        loadSources();
        next();
      },
      (raw) => {
        status.textContent = `Couldn't add files: ${toIpcError(raw).message}`;
        next();
      },
    );
  };

  function add(paths: string[]) {
    batches.push(paths);
    if (!busy) next();
  }

  function closePanels(): boolean {
    if (panel === null) return false;
    panel.remove();
    panel = null;
    return true;
  }

  refresh();
  loadSources();
  loadSemantic();
  return { element, add, focusSearch: () => search.focus(), closePanels, refresh };
}

function errorBox(message: string, retry: () => void): HTMLElement {
  const again = h("button", { type: "button", class: "button" }, "Try again");
  again.addEventListener("click", retry);
  return h("div", { class: "error", role: "alert" }, h("p", { class: "error-title" }, "Something went wrong"), h("p", { class: "error-message" }, message), again);
}
