// PDF rendering for the source viewer (pdf.js). Loaded on demand, so the app starts without it.
// The bytes come from the `document_pdf` command; the worker is a file of our own origin.
import { GlobalWorkerOptions, getDocument, TextLayer } from "pdfjs-dist";
import workerUrl from "pdfjs-dist/build/pdf.worker.min.mjs?url";
import { h } from "../dom";
import type { OcrBox } from "../types";
import { ocrMarks } from "./ocr-marks";

GlobalWorkerOptions.workerSrc = workerUrl;

// pdf.js reads text content with `for await` over a ReadableStream; WebKitGTK's streams are not
// async-iterable yet, so give them the standard iterator (read until done, then release the lock).
type IterableStream = ReadableStream & { [Symbol.asyncIterator]?: () => AsyncGenerator<unknown> };
const streamProto = ReadableStream.prototype as IterableStream;
if (typeof streamProto[Symbol.asyncIterator] !== "function") {
  streamProto[Symbol.asyncIterator] = async function* (this: ReadableStream) {
    const reader = this.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield value;
      }
    } finally {
      reader.releaseLock();
    }
  };
}

const squash = (s: string) => s.replace(/\s+/g, "").toLowerCase();

/**
 * Renders `page` of the PDF into `host` and highlights the text items that make up `passage`, and
 * more strongly those that hold `answer` (the short answer inside it), when given. A page read by
 * OCR has no text layer: there the passage's words are marked from their OCR boxes (`ocr`).
 * Returns the number of highlighted items.
 */
export async function renderPdfPage(
  host: HTMLElement,
  data: ArrayBuffer,
  page: number,
  passage: string,
  answer: string | null = null,
  ocr: OcrBox[] = [],
): Promise<number> {
  const pdf = await getDocument({ data: new Uint8Array(data), isEvalSupported: false }).promise;
  const number = Math.min(Math.max(page, 1), pdf.numPages);
  const p = await pdf.getPage(number);
  const width = Math.max(host.clientWidth - 2, 480);
  const base = p.getViewport({ scale: 1 });
  const viewport = p.getViewport({ scale: width / base.width });
  const ratio = window.devicePixelRatio || 1;
  const canvas = h("canvas", { class: "pdf-canvas" });
  canvas.width = Math.floor(viewport.width * ratio);
  canvas.height = Math.floor(viewport.height * ratio);
  canvas.style.width = `${Math.floor(viewport.width)}px`;
  canvas.style.height = `${Math.floor(viewport.height)}px`;
  const textHost = h("div", { class: "textLayer" });
  const pageEl = h("div", { class: "pdf-page" }, canvas, textHost);
  pageEl.style.setProperty("--scale-factor", String(viewport.scale));
  pageEl.style.setProperty("--total-scale-factor", String(viewport.scale));
  pageEl.style.width = `${Math.floor(viewport.width)}px`;
  pageEl.style.height = `${Math.floor(viewport.height)}px`;
  host.replaceChildren(h("p", { class: "pdf-page-label muted" }, `Page ${number} of ${pdf.numPages}`), pageEl);
  const context = canvas.getContext("2d");
  if (context === null) return 0;
  await p.render({ canvas, canvasContext: context, viewport, transform: ratio === 1 ? undefined : [ratio, 0, 0, ratio, 0, 0] })
    .promise;
  const textContent = await p.getTextContent();
  const layer = new TextLayer({ textContentSource: textContent, container: textHost, viewport });
  await layer.render();
  const marked = highlight(layer.textDivs, passage, "pdf-highlight");
  if (marked === 0) {
    const marks = ocrMarks(ocr, number);
    if (marks.length > 0) {
      pageEl.append(...marks);
      marks[0]?.scrollIntoView?.({ block: "center" });
      return marks.length;
    }
  }
  // Within the passage only: the same value may stand elsewhere on the page.
  if (answer !== null) highlight(layer.textDivs.filter((d) => d.classList.contains("pdf-highlight")), answer, "pdf-answer");
  return marked;
}

/** Marks the text divs covering the passage (matched ignoring whitespace and case) with `cls`. */
function highlight(divs: HTMLElement[], passage: string, cls: string): number {
  const target = squash(passage);
  if (target === "") return 0;
  let joined = "";
  const starts: number[] = [];
  for (const d of divs) {
    starts.push(joined.length);
    joined += squash(d.textContent ?? "");
  }
  // The passage may run onto the next page: look for its start, then for ever shorter prefixes.
  let at = -1;
  let len = target.length;
  for (const probe of [target, target.slice(0, 120), target.slice(0, 60), target.slice(0, 30)]) {
    at = joined.indexOf(probe);
    if (at >= 0) {
      len = probe === target ? target.length : Math.min(target.length, joined.length - at);
      break;
    }
  }
  if (at < 0) return 0;
  let marked = 0;
  divs.forEach((d, i) => {
    const s = starts[i] ?? 0;
    const e = s + squash(d.textContent ?? "").length;
    if (e > at && s < at + len) {
      d.classList.add(cls);
      marked += 1;
      if (marked === 1) d.scrollIntoView({ block: "center" });
    }
  });
  return marked;
}
