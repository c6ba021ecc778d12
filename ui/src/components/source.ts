// The source viewer: the cited passage in its document. A PDF opens at the cited page with the
// passage highlighted; an image document shows the page image with the cited words marked where
// OCR found them; any other document shows its extracted text scrolled to the cited span; a web
// source shows its address; a table shows the cited rows and columns.
import { h } from "../dom";
import { toIpcError, type Client } from "../ipc/client";
import type { EvidenceRecord, TableSlice } from "../types";
import { isImagePath, renderImagePage } from "./image-page";

/**
 * Converts a span of Unicode code points (how Rust counts chars) into UTF-16 offsets (how
 * JavaScript strings index), so text outside the Basic Multilingual Plane does not shift it.
 */
export function charSpanToUtf16(text: string, start: number, end: number): [number, number] {
  let chars = 0;
  let i = 0;
  let from = text.length;
  let to = text.length;
  while (i <= text.length) {
    if (chars === start) from = i;
    if (chars === end) {
      to = i;
      break;
    }
    if (i === text.length) break;
    const code = text.codePointAt(i) ?? 0;
    i += code > 0xffff ? 2 : 1;
    chars += 1;
  }
  return [Math.min(from, to), to];
}

/** A char range inside a passage to mark more strongly (the short answer). */
export interface Focus {
  start: number;
  end: number;
}

/** `text` as nodes, with the `focus` char range (if any) marked as the short answer. */
export function withFocus(text: string, focus?: Focus | null): (Node | string)[] {
  if (!focus || focus.end <= focus.start) return [text];
  const [a, b] = charSpanToUtf16(text, focus.start, focus.end);
  if (a >= b) return [text];
  return [text.slice(0, a), h("mark", { class: "short-answer-mark", id: "short-answer-in-source" }, text.slice(a, b)), text.slice(b)];
}

/**
 * The document's text with the span marked; `focus` (a char range inside the span) marks the
 * short answer within it.
 */
export function highlightedText(text: string, span: [number, number], focus?: Focus | null): HTMLElement {
  const [from, to] = charSpanToUtf16(text, span[0], span[1]);
  const mark = h("mark", { class: "cited", id: "cited-passage" }, ...withFocus(text.slice(from, to), focus));
  return h("pre", { class: "source-text", tabindex: "0" }, text.slice(0, from), mark, text.slice(to));
}

export function renderTable(slice: TableSlice, cite: { columns: string[]; rows: number[] }): HTMLElement {
  const cols = new Set(cite.columns);
  const rows = new Set(cite.rows);
  const cell = (v: unknown) => (v === null || v === undefined ? "" : typeof v === "object" ? JSON.stringify(v) : String(v));
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "source-table" },
      h("caption", {}, `${slice.sheet} · ${slice.row_count.toLocaleString("en")} rows`),
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", { scope: "col" }, "Row"),
          ...slice.columns.map((c) => h("th", { scope: "col", class: cols.has(c) ? "cited-col" : undefined }, c)),
        ),
      ),
      h(
        "tbody",
        {},
        ...slice.rows.map(([n, cells]) =>
          h(
            "tr",
            { class: rows.has(n) ? "cited-row" : undefined },
            h("th", { scope: "row" }, String(n)),
            ...slice.columns.map((c, i) => h("td", { class: cols.has(c) ? "cited-col" : undefined }, cell(cells[i]))),
          ),
        ),
      ),
    ),
  );
}

/** The text of the `focus` range of `text`, or null. */
export function focusText(text: string, focus?: Focus | null): string | null {
  if (!focus) return null;
  const [a, b] = charSpanToUtf16(text, focus.start, focus.end);
  return a < b ? text.slice(a, b) : null;
}

export function isPdf(ev: EvidenceRecord): boolean {
  return (ev.path ?? "").toLowerCase().endsWith(".pdf");
}

/**
 * The side panel showing one source. `close` is called by its close button and by Esc. `focus`, a
 * char range into the evidence text, is the short answer: it is marked inside the passage.
 */
export function sourcePanel(client: Client, ev: EvidenceRecord, close: () => void, focus?: Focus | null): HTMLElement {
  const body = h("div", { class: "source-body", "aria-busy": "true" }, h("p", { class: "muted" }, "Opening the source…"));
  const closeButton = h("button", { type: "button", class: "icon-button", "aria-label": "Close source" }, "×");
  closeButton.addEventListener("click", close);
  // A document's first section is often named like the document; say it once.
  const section = ev.location === ev.title ? "" : ev.location;
  const where = [section, ev.page !== null && !ev.location.includes(String(ev.page)) ? `p. ${ev.page}` : ""]
    .filter((s) => s !== "")
    .join(" · ");
  const panel = h(
    "aside",
    { class: "source-panel", role: "dialog", "aria-modal": "false", "aria-labelledby": "source-title" },
    h(
      "header",
      { class: "source-header" },
      h(
        "div",
        {},
        h(
          "p",
          { class: "source-kicker" },
          `${ev.id > 0 ? `Source [${ev.id}]` : "Search result"} · ${ev.kind === "web" ? "Web page" : ev.kind === "table" ? "Table" : "Document"}`,
        ),
        h("h2", { id: "source-title" }, ev.title || "Untitled"),
        where ? h("p", { class: "muted" }, where) : null,
        ev.path ? h("p", { class: "source-path" }, ev.path) : null,
        focus ? h("p", { class: "small source-focus" }, "The short answer is marked in the passage.") : null,
      ),
      closeButton,
    ),
    body,
  );
  const done = (...nodes: (Node | null)[]) => {
    body.replaceChildren(...nodes.filter((n): n is Node => n !== null));
    body.removeAttribute("aria-busy");
  };
  const fail = (raw: unknown) => {
    const e = toIpcError(raw);
    done(
      h("div", { class: "error", role: "alert" }, h("p", { class: "error-title" }, "Couldn't open the source"), h("p", {}, e.message)),
      h("h3", { class: "card-title" }, "Cited passage"),
      h("blockquote", { class: "passage" }, ...withFocus(ev.text, focus)),
    );
  };

  if (ev.kind === "web") {
    done(
      h("p", {}, "Web page: ", h("code", { class: "path" }, ev.url ?? "(no address)")),
      ev.fetched_at ? h("p", { class: "muted" }, `Fetched ${ev.fetched_at}`) : null,
      ev.note ? h("p", { class: "muted" }, ev.note) : null,
      h("h3", { class: "card-title" }, "Cited passage"),
      h("blockquote", { class: "passage" }, ...withFocus(ev.text, focus)),
    );
  } else if (ev.kind === "table" && ev.doc_id !== null && ev.table) {
    const cite = ev.table;
    client.tableRows(ev.doc_id, cite.sheet, cite.rows).then(
      (slice) =>
        done(
          h("blockquote", { class: "passage" }, ...withFocus(ev.text, focus)),
          renderTable(slice, cite),
          cite.sql ? h("details", {}, h("summary", {}, "Query"), h("pre", { class: "sql" }, cite.sql)) : null,
        ),
      fail,
    );
  } else if (ev.doc_id !== null && isPdf(ev)) {
    const host = h("div", { class: "pdf-host" });
    done(host);
    body.setAttribute("aria-busy", "true");
    // Where the page was read by OCR, the cited words' boxes mark it; a failure only loses the marks.
    const boxes = ev.span === null ? Promise.resolve([]) : client.ocrBoxes(ev.doc_id, ev.span).catch(() => []);
    Promise.all([client.documentPdf(ev.doc_id), import("./pdf"), boxes])
      .then(([bytes, pdf, ocr]) =>
        pdf.renderPdfPage(host, bytes, ev.page ?? 1, ev.text, focusText(ev.text, focus), ocr),
      )
      .then(
        () => body.removeAttribute("aria-busy"),
        fail,
      );
  } else if (ev.doc_id !== null && isImagePath(ev.path)) {
    // A photographed or scanned page: the image itself with the cited words marked on it, and
    // the passage as text below it.
    const docId = ev.doc_id;
    const page = ev.page ?? 1;
    const host = h("div", { class: "pdf-host" });
    const passage = () => [h("h3", { class: "card-title" }, "Cited passage"), h("blockquote", { class: "passage" }, ...withFocus(ev.text, focus))];
    done(host, ...passage());
    body.setAttribute("aria-busy", "true");
    const boxes = ev.span === null ? Promise.resolve([]) : client.ocrBoxes(docId, ev.span).catch(() => []);
    Promise.all([client.documentImage(docId, page), boxes]).then(([bytes, ocr]) => {
      renderImagePage(host, bytes, page, ocr, () =>
        host.replaceChildren(h("p", { class: "muted" }, "This image cannot be shown here; its text is below.")),
      );
      body.removeAttribute("aria-busy");
    }, fail);
  } else if (ev.doc_id !== null && ev.span !== null) {
    const span = ev.span;
    client.documentText(ev.doc_id).then((text) => {
      // The passage is the document's text at `span`, so the short answer sits at the same offset
      // inside it.
      done(highlightedText(text, span, focus));
      body.querySelector("#short-answer-in-source, #cited-passage")?.scrollIntoView?.({ block: "center" });
    }, fail);
  } else {
    done(h("blockquote", { class: "passage" }, ...withFocus(ev.text, focus)));
  }
  return panel;
}
