import { beforeAll, describe, expect, it } from "vitest";

// The app shell's layout rules, read from the stylesheet: happy-dom does no layout, so whether the
// page really stays put under End or Page Down is checked in the real window; this keeps the
// rules that make it so from being lost.

let css = "";
beforeAll(async () => {
  // Vitest hands CSS imports over empty, so the style sheet is read from disk.
  const fs: { readFileSync(path: string, encoding: "utf8"): string } = await import(/* @vite-ignore */ "node:fs" as string);
  const here = decodeURIComponent(import.meta.url.replace(/^file:\/\//, ""));
  css = fs.readFileSync(here.replace(/[^/]+$/, "styles.css"), "utf8");
});

/** The declarations of every rule whose selector list names `selector` exactly, later ones winning. */
function declarations(selector: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const text = css.replace(/\/\*[\s\S]*?\*\//g, "");
  for (const m of text.matchAll(/([^{}]+)\{([^{}]*)\}/g)) {
    const selectors = (m[1] ?? "").split(",").map((s) => s.trim());
    if (!selectors.includes(selector)) continue;
    for (const decl of (m[2] ?? "").split(";")) {
      const i = decl.indexOf(":");
      if (i < 0) continue;
      const name = decl.slice(0, i).trim();
      const value = decl.slice(i + 1).trim();
      out.set(name, [...(out.get(name) ?? []), value]);
    }
  }
  return out;
}

describe("app layout", () => {
  it("never lets the window itself scroll", () => {
    for (const selector of ["html", "body"]) {
      const d = declarations(selector);
      expect(d.get("height"), selector).toContain("100%");
      expect(d.get("overflow"), selector).toContain("hidden");
      expect(d.get("margin"), selector).toContain("0");
    }
  });

  it("keeps the shell at the window's height and clips whatever it places", () => {
    const app = declarations("#app");
    expect(app.get("height")).toContain("100%");
    expect(app.get("position")).toEqual(["relative"]);
    // `clip` where the engine has it, `hidden` before it: never a scrollable page.
    expect(app.get("overflow")).toEqual(["hidden", "clip"]);
    expect(declarations(".app-body").get("min-height")).toEqual(["0"]);
  });

  it("scrolls only the view's content area", () => {
    const content = declarations(".content");
    expect(content.get("overflow-y")).toEqual(["auto"]);
    expect(content.get("position")).toEqual(["relative"]);
    expect(declarations(".app-header").get("flex")).toEqual(["none"]);
  });
});
