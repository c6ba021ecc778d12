// Line icons on a 24×24 grid, drawn for Catena. Decorative: screen readers get the text next to them.
import { svg } from "./dom";

export type IconName = "library" | "ask" | "history" | "settings" | "documents" | "soon";

const PATHS: Record<IconName, string[]> = {
  library: ["M4 4h4v16H4z", "M10 4h4v16h-4z", "M16.5 5.2l3.6-1 3.1 15.4-3.6 1z"],
  ask: ["M4 5h16v11H9l-5 4z", "M9 10h6", "M9 13h4"],
  history: ["M12 3a9 9 0 1 1-8.5 6", "M3 4v5h5", "M12 8v4l3 2"],
  settings: ["M4 7h10", "M18 7h2", "M16 5v4", "M4 17h2", "M10 17h10", "M8 15v4"],
  documents: ["M7 3h7l5 5v13H7z", "M14 3v5h5", "M10 13h6", "M10 17h6"],
  soon: ["M6 3h12", "M6 21h12", "M8 3c0 6 8 6 8 9s-8 3-8 9", "M16 3c0 6-8 6-8 9s8 3 8 9"],
};

export function icon(name: IconName, className = "icon"): SVGElement {
  return svg(
    "svg",
    { class: className, viewBox: "0 0 24 24", "aria-hidden": "true", focusable: "false" },
    ...PATHS[name].map((d) => svg("path", { d })),
  );
}

/** The app mark: two linked rings on a rounded square, matching icons/icon.png. */
export function logo(): SVGElement {
  // User-space gradient, so the halo around the front link matches the square beneath it exactly.
  const paint = "url(#logo-gradient)";
  const link = (cx: number, cy: number, cls: string, stroke?: string) =>
    svg("rect", {
      class: cls,
      x: String(cx - 7.2),
      y: String(cy - 4),
      width: "14.4",
      height: "8",
      rx: "4",
      transform: `rotate(-45 ${cx} ${cy})`,
      stroke,
    });
  return svg(
    "svg",
    { class: "logo", viewBox: "0 0 32 32", "aria-hidden": "true", focusable: "false" },
    svg(
      "defs",
      {},
      svg(
        "linearGradient",
        { id: "logo-gradient", gradientUnits: "userSpaceOnUse", x1: "1", y1: "1", x2: "31", y2: "31" },
        svg("stop", { offset: "0", "stop-color": "#4353c4" }),
        svg("stop", { offset: "1", "stop-color": "#208496" }),
      ),
    ),
    svg("rect", { x: "1", y: "1", width: "30", height: "30", rx: "7", fill: paint }),
    link(13.4, 18.6, "logo-link"),
    link(18.6, 13.4, "logo-halo", paint),
    link(18.6, 13.4, "logo-link"),
  );
}
