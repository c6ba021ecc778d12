// The Library view: add files by dropping them on the window or picking them, watch each file go
// in with overall files/bytes/ETA, see what failed and why, search while it works, remove documents,
// and see the watched folders (added folders stay in sync) with pause, resume and stop.
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
  if (!s) return `score ${hit.score.toFixed(2)}`;
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
    return h(
      "li",
      { class: "hit" },
      open,
      h("span", { class: "muted small" }, [hit.location, fileName(hit.path)].filter(Boolean).join(" · ")),
      snippet(hit.snippet_html),
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

  // Documents
  const docsBody = h("div", { class: "docs" });
  const docsCount = h("span", { class: "muted small" });
  const refresh = () => {
    client.listDocuments().then(renderDocs, (raw) => {
      docsBody.replaceChildren(errorBox(toIpcError(raw).message, refresh));
    });
  };
  const renderDocs = (docs: DocumentInfo[]) => {
    const indexed = docs.filter((d) => d.status === "indexed");
    docsCount.textContent = `${indexed.length} ${indexed.length === 1 ? "document" : "documents"}`;
    if (docs.length === 0) {
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
    docsBody.replaceChildren(
      h(
        "table",
        { class: "doc-table" },
        h(
          "thead",
          {},
          h("tr", {}, h("th", { scope: "col", class: "col-doc" }, "Document"), h("th", { scope: "col", class: "col-size" }, "Size"), h("th", { scope: "col", class: "col-status" }, "Status"), h("th", { scope: "col", class: "col-actions" }, h("span", { class: "sr-only" }, "Actions"))),
        ),
        h("tbody", {}, ...docs.map(docRow)),
      ),
    );
  };
  const docRow = (d: DocumentInfo) => {
    const remove = h("button", { type: "button", class: "button subtle", "aria-label": `Remove ${d.title ?? fileName(d.path)}` }, "Remove");
    const cell = h("td", { class: "actions" }, remove);
    remove.addEventListener("click", () => {
      const yes = h("button", { type: "button", class: "button danger" }, "Remove");
      const no = h("button", { type: "button", class: "button subtle" }, "Keep");
      cell.replaceChildren(h("span", { class: "small" }, "Remove from library? "), yes, no);
      yes.focus();
      no.addEventListener("click", () => refresh());
      yes.addEventListener("click", () => {
        yes.disabled = true;
        client.removeDocument(d.id).then(refresh, (raw) => {
          cell.replaceChildren(h("span", { class: "small error-inline" }, toIpcError(raw).message));
        });
      });
    });
    const facts = [d.format?.toUpperCase(), d.pages ? `${d.pages} ${d.pages === 1 ? "page" : "pages"}` : null, d.chunks ? `${d.chunks} ${d.chunks === 1 ? "passage" : "passages"}` : null]
      .filter(Boolean)
      .join(" · ");
    return h(
      "tr",
      { class: `doc status-${d.status}` },
      h(
        "td",
        {},
        h("span", { class: "doc-title" }, d.title || fileName(d.path)),
        cardLine(d.card, d.title),
        h("span", { class: "doc-path", title: d.path }, d.path),
        d.error ? h("span", { class: "doc-error" }, d.error) : null,
        d.warnings.length > 0 ? h("span", { class: "doc-warning" }, d.warnings.join("; ")) : null,
      ),
      h("td", { class: "nowrap" }, bytes(d.size), h("span", { class: "muted small block" }, facts)),
      h(
        "td",
        {},
        h("span", { class: `badge badge-${d.status}` }, d.status),
        h("span", { class: "muted small block nowrap" }, day(d.updated_at)),
        semantic?.on && d.status === "indexed"
          ? h(
              "span",
              { class: `embed-state small block nowrap ${d.embedded ? "embedded" : "not-embedded"}` },
              d.embedded ? "✓ Embedded" : "Not embedded yet",
            )
          : null,
      ),
      cell,
    );
  };

  const dataDir = h("p", { class: "muted small data-dir" });
  loadInfo().then(
    (info) => dataDir.replaceChildren("Library folder: ", h("code", { "data-testid": "data-dir-path" }, info.data_dir)),
    (raw) => dataDir.replaceChildren(errorBox(toIpcError(raw).message, () => refresh())),
  );

  const panelHost = h("div", { class: "panel-host" });
  const element = h(
    "section",
    { class: "view", "aria-labelledby": "library-title" },
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
    h("section", { class: "card", "aria-labelledby": "docs-title" }, h("div", { class: "card-head" }, h("h2", { id: "docs-title", class: "card-title" }, "Documents"), docsCount), docsBody),
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
