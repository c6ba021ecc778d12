// A page of an image file (a photographed or scanned page) in the source viewer: the image as
// it was read, with the cited words marked where OCR found them on it.
import { h } from "../dom";
import type { OcrBox } from "../types";
import { ocrMarks } from "./ocr-marks";

const IMAGE_EXTENSIONS = ["png", "jpg", "jpeg", "webp", "tif", "tiff"];

/** True for documents read from an image file. */
export function isImagePath(path: string | null | undefined): boolean {
  const ext = (path ?? "").toLowerCase().split(".").pop() ?? "";
  return (path ?? "").includes(".") && IMAGE_EXTENSIONS.includes(ext);
}

/** The image type of `bytes` from their signature (the command sends TIFF pages as PNG). */
export function imageMime(bytes: Uint8Array): string {
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return "image/jpeg";
  if (bytes[0] === 0x52 && bytes[1] === 0x49 && bytes[8] === 0x57 && bytes[9] === 0x45) return "image/webp";
  return "image/png";
}

/**
 * Shows page `page` of an image document in `host` with the words in `ocr` marked on it, and
 * calls `onError` if the webview cannot draw it. Returns the number of marks.
 */
export function renderImagePage(host: HTMLElement, data: ArrayBuffer, page: number, ocr: OcrBox[], onError: () => void): number {
  const bytes = new Uint8Array(data);
  const url = URL.createObjectURL(new Blob([bytes], { type: imageMime(bytes) }));
  const img = h("img", { class: "page-image", src: url, alt: `Page ${page} of the image, as it was read` });
  img.addEventListener("load", () => URL.revokeObjectURL(url), { once: true });
  img.addEventListener(
    "error",
    () => {
      URL.revokeObjectURL(url);
      onError();
    },
    { once: true },
  );
  const marks = ocrMarks(ocr, page);
  const pageEl = h("div", { class: "pdf-page image-page" }, img, ...marks);
  host.replaceChildren(h("p", { class: "pdf-page-label muted" }, `Page ${page} · read by OCR`), pageEl);
  if (marks.length > 0) img.addEventListener("load", () => marks[0]?.scrollIntoView?.({ block: "center" }), { once: true });
  return marks.length;
}
