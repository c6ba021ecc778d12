import { describe, expect, it, vi } from "vitest";
import { fakeClient, settle } from "../testing/fake-client";
import { exportDialog } from "./export";

describe("export dialog", () => {
  it("offers the formats the backend can write and reports where the file went", async () => {
    const client = fakeClient({
      exportFormats: () =>
        Promise.resolve({
          formats: [
            { name: "md", label: "Markdown", extension: "md", available: true, uses_style: true },
            { name: "bibtex", label: "BibTeX", extension: "bib", available: true, uses_style: false },
          ],
          styles: [
            { name: "apa", label: "APA (7th ed.)" },
            { name: "ieee", label: "IEEE" },
          ],
        }),
      exportRun: vi.fn(() => Promise.resolve("/home/ada/orbis.bib")),
    });
    const dialog = exportDialog(client, "r-1", () => undefined);
    await settle();
    const format = dialog.querySelector<HTMLSelectElement>("#export-format");
    const style = dialog.querySelector<HTMLSelectElement>("#export-style");
    if (format === null || style === null) throw new Error("no selects");
    expect([...format.options].map((o) => o.value)).toEqual(["md", "bibtex"]);
    expect(style.disabled).toBe(false);
    style.value = "ieee";
    format.value = "bibtex";
    format.dispatchEvent(new Event("change"));
    // A bibliography has no citation style: the choice is greyed out and says why.
    expect(style.disabled).toBe(true);
    dialog.querySelector("form")?.dispatchEvent(new Event("submit", { cancelable: true }));
    await settle();
    expect(client.exportRun).toHaveBeenCalledWith("r-1", "bibtex", "ieee");
    expect(dialog.querySelector("[role=status]")?.textContent).toBe("Saved to /home/ada/orbis.bib");
  });

  it("says nothing was saved when the save dialog is dismissed", async () => {
    const client = fakeClient({
      exportFormats: () =>
        Promise.resolve({
          formats: [{ name: "json", label: "JSON trace", extension: "json", available: true, uses_style: false }],
          styles: [{ name: "apa", label: "APA (7th ed.)" }],
        }),
    });
    const dialog = exportDialog(client, "r-1", () => undefined);
    await settle();
    dialog.querySelector("form")?.dispatchEvent(new Event("submit", { cancelable: true }));
    await settle();
    expect(dialog.querySelector("[role=status]")?.textContent).toBe("Not saved.");
  });
});
