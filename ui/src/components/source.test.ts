import { describe, expect, it } from "vitest";
import { fakeClient, settle } from "../testing/fake-client";
import type { EvidenceRecord } from "../types";
import { charSpanToUtf16, focusText, highlightedText, renderTable, sourcePanel } from "./source";

const evidence = (over: Partial<EvidenceRecord>): EvidenceRecord => ({
  id: 3,
  node_id: 1,
  kind: "document",
  doc_id: 7,
  chunk_id: "7:0",
  path: "/d/notes.md",
  title: "Notes",
  page: null,
  location: "Intro",
  url: null,
  span: [0, 5],
  text: "passage",
  score: 1,
  fetched_at: null,
  ...over,
});

describe("source viewer", () => {
  it("converts char spans to UTF-16 offsets past astral characters", () => {
    const text = "😀 ab 𝔸 target end";
    // Chars: 😀=0, ' '=1, a=2, b=3, ' '=4, 𝔸=5, ' '=6, t=7 … "target" is chars 7..13.
    const [from, to] = charSpanToUtf16(text, 7, 13);
    expect(text.slice(from, to)).toBe("target");
    expect(charSpanToUtf16("abc", 0, 3)).toEqual([0, 3]);
  });

  it("marks the cited span in the document text", () => {
    const pre = highlightedText("Intro. The cited passage. Outro.", [7, 25]);
    expect(pre.querySelector("mark")?.textContent).toBe("The cited passage.");
    expect(pre.textContent).toBe("Intro. The cited passage. Outro.");
  });

  it("opens a text document at the cited span through the client", async () => {
    const client = fakeClient({ documentText: () => Promise.resolve("aaa 𝔸 bbb cited ccc") });
    const panel = sourcePanel(client, evidence({ span: [10, 15] }), () => undefined);
    await settle();
    expect(panel.querySelector("mark")?.textContent).toBe("cited");
    expect(panel.querySelector("h2")?.textContent).toBe("Notes");
  });

  it("asks where a PDF passage's words stand on a scanned page", async () => {
    // The PDF itself is refused at once, so nothing is left rendering when the test ends.
    const client = fakeClient({ documentPdf: () => Promise.reject({ code: "NotFound", message: "document 7 is gone" }) });
    const panel = sourcePanel(client, evidence({ path: "/d/scan.pdf", page: 2, span: [40, 90] }), () => undefined);
    await settle();
    expect(client.ocrBoxes).toHaveBeenCalledWith(7, [40, 90]);
    expect(panel.textContent).toContain("document 7 is gone");
  });

  it("shows a photographed page as the image, with the cited words marked on it and the passage below", async () => {
    const client = fakeClient({
      ocrBoxes: () =>
        Promise.resolve([
          { page: 2, bbox: [0.1, 0.2, 0.3, 0.25] },
          { page: 2, bbox: [0.35, 0.2, 0.5, 0.25] },
          { page: 1, bbox: [0.1, 0.1, 0.2, 0.15] },
        ]),
    });
    const panel = sourcePanel(client, evidence({ path: "/d/fax.TIFF", page: 2, span: [40, 90], text: "copper kettles sing" }), () => undefined);
    await settle();
    expect(client.documentImage).toHaveBeenCalledWith(7, 2);
    expect(client.documentText).not.toHaveBeenCalled();
    const img = panel.querySelector<HTMLImageElement>("img.page-image");
    expect(img?.src.startsWith("blob:")).toBe(true);
    // Only page 2's words, placed in percent of the image.
    const marks = [...panel.querySelectorAll<HTMLElement>(".image-page .ocr-highlight")];
    expect(marks.map((m) => [m.style.left, m.style.top])).toEqual([
      ["10.000%", "20.000%"],
      ["35.000%", "20.000%"],
    ]);
    expect(panel.querySelector("blockquote.passage")?.textContent).toBe("copper kettles sing");
    expect(panel.querySelector(".source-body")?.getAttribute("aria-busy")).toBeNull();

    // An image the webview cannot draw leaves the passage and says so.
    img?.dispatchEvent(new Event("error"));
    expect(panel.textContent).toContain("This image cannot be shown here");
    expect(panel.querySelector("blockquote.passage")).not.toBeNull();
  });

  it("shows a web source's address without making it a link", () => {
    const panel = sourcePanel(fakeClient(), evidence({ kind: "web", doc_id: null, url: "https://example.org/a", span: null }), () => undefined);
    expect(panel.textContent).toContain("https://example.org/a");
    expect(panel.querySelector("a")).toBeNull();
  });

  it("marks cited rows and columns of a table", () => {
    const table = renderTable(
      { sheet: "Sales", columns: ["region", "total"], row_count: 40, rows: [[4, ["north", 10]], [5, ["south", 12]]] },
      { columns: ["total"], rows: [5] },
    );
    expect(table.querySelectorAll("tr.cited-row").length).toBe(1);
    expect(table.querySelector("tr.cited-row")?.textContent).toContain("south");
    expect(table.querySelectorAll("th.cited-col").length).toBe(1);
    expect(table.querySelector("caption")?.textContent).toBe("Sales · 40 rows");
  });

  it("reports a source that cannot be opened and still shows the passage", async () => {
    const client = fakeClient({ documentText: () => Promise.reject({ code: "NotFound", message: "document 7 is gone" }) });
    const panel = sourcePanel(client, evidence({}), () => undefined);
    await settle();
    expect(panel.querySelector("[role=alert]")?.textContent).toContain("document 7 is gone");
    expect(panel.querySelector("blockquote")?.textContent).toBe("passage");
  });

  it("marks the short answer inside the cited passage", async () => {
    const doc = "Intro. The observatory was built in 1923 on the hill. Outro.";
    const pre = highlightedText(doc, [7, 53], { start: 29, end: 33 });
    expect(pre.querySelector("mark.cited")?.textContent).toBe("The observatory was built in 1923 on the hill.");
    expect(pre.querySelector("mark.cited mark.short-answer-mark")?.textContent).toBe("1923");
    expect(pre.textContent).toBe(doc);
    expect(focusText("built in 1923", { start: 9, end: 13 })).toBe("1923");
    expect(focusText("built", null)).toBeNull();

    const client = fakeClient({ documentText: () => Promise.resolve(doc) });
    const ev = evidence({ span: [7, 53], text: "The observatory was built in 1923 on the hill." });
    const panel = sourcePanel(client, ev, () => undefined, { start: 29, end: 33 });
    await settle();
    expect(panel.querySelector("#short-answer-in-source")?.textContent).toBe("1923");
    expect(panel.textContent).toContain("The short answer is marked in the passage.");
    // Without a document to open, the passage itself carries the mark.
    const web = sourcePanel(client, evidence({ kind: "web", doc_id: null, url: "https://x.org", text: "Built in 1923." }), () => undefined, {
      start: 9,
      end: 13,
    });
    expect(web.querySelector(".passage mark.short-answer-mark")?.textContent).toBe("1923");
  });
});
