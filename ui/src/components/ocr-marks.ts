// Marks for text that was read from a page image by OCR: the page has no text layer to
// highlight, so the cited words are outlined where OCR found them on the image.
import { h } from "../dom";
import type { OcrBox } from "../types";

const clamp = (v: number): number => Math.min(Math.max(v, 0), 1);
const percent = (v: number): string => `${(v * 100).toFixed(3)}%`;

/**
 * One absolutely placed mark per word box of `page`, positioned in percent of the page so it
 * lines up with the page image at any scale; boxes with no area are left out.
 */
export function ocrMarks(boxes: OcrBox[], page: number, cls = "ocr-highlight"): HTMLElement[] {
  const marks: HTMLElement[] = [];
  for (const b of boxes) {
    if (b.page !== page) continue;
    const [x0, y0, x1, y1] = b.bbox.map(clamp) as [number, number, number, number];
    if (x1 <= x0 || y1 <= y0) continue;
    const mark = h("div", { class: cls, "aria-hidden": "true" });
    mark.style.left = percent(x0);
    mark.style.top = percent(y0);
    mark.style.width = percent(x1 - x0);
    mark.style.height = percent(y1 - y0);
    marks.push(mark);
  }
  return marks;
}
