// The documents the end-to-end test drops on the window: Markdown, plain text and a small PDF
// (written by hand: one page, one font, so no PDF library is needed), plus a distractor. The
// scripted model's answer (model-server.mjs) cites the facts below. Last, a scanned page (an
// image-only PDF) is dropped to check OCR and the marks on the page image.
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { deflateSync } from "node:zlib";

export const QUESTION = "Who designed the Port Aster lighthouse, where was the engineer born, and when was its lamp first lit?";

/** What the answer must say, each sentence backed by one document. */
export const FACTS = { designer: "Ines Varga", birthplace: "Szeged", lit: "1 May 1903" };

/** The titles the library gives the documents (headings, first lines, PDF metadata). */
export const TITLES = {
  lighthouse: "Port Aster Lighthouse",
  varga: "Ines Varga, Engineer",
  lamp: "Lamp Records of Port Aster",
  // A text file has no heading: its title is its file name.
  harbour: "harbour",
};

const LIGHTHOUSE = `# Port Aster Lighthouse

The Port Aster lighthouse stands on the northern breakwater of the harbour. It was designed by the engineer Ines Varga and built between 1899 and 1903.

## The tower

The tower is 31 metres tall and is built of granite from the Kesh quarries. Its keepers lived in two cottages at its foot until 1967.
`;

const VARGA = `# Ines Varga, Engineer

Ines Varga was born in 1871 in Szeged. She studied civil engineering in Budapest and moved to the coast in 1894, where she built harbour works for forty years. She died in 1942.
`;

const HARBOUR = `# Harbour Notes

The harbour of Port Aster handles the ferries to the outer islands. The fish market on the east quay opens at five in the morning, and the yacht club holds its regatta every August.
`;

const LAMP_LINES = [
  "The lamp of the Port Aster lighthouse was first lit on 1 May 1903.",
  "It burned paraffin until the light was electrified in 1931.",
  "Its beam can be seen from 22 nautical miles away.",
];

/** A one-page PDF 1.4 with the given title and lines of text in Helvetica. */
export function minimalPdf(title, lines) {
  const esc = (s) => s.replace(/[\\()]/g, (c) => `\\${c}`);
  const content = ["BT", "/F1 12 Tf", "16 TL", "72 720 Td", ...lines.map((l) => `(${esc(l)}) '`), "ET"].join("\n");
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
    `<< /Length ${Buffer.byteLength(content, "latin1")} >>\nstream\n${content}\nendstream`,
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    `<< /Title (${esc(title)}) /Producer (catena e2e) >>`,
  ];
  let pdf = "%PDF-1.4\n";
  const offsets = [];
  objects.forEach((body, i) => {
    offsets.push(Buffer.byteLength(pdf, "latin1"));
    pdf += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(pdf, "latin1");
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const o of offsets) pdf += `${String(o).padStart(10, "0")} 00000 n \n`;
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R /Info ${objects.length} 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(pdf, "latin1");
}

/** Writes the documents into `dir`; returns their paths (what is dropped). */
export function writeFixtures(dir) {
  mkdirSync(dir, { recursive: true });
  const files = {
    "lighthouse.md": LIGHTHOUSE,
    "varga.md": VARGA,
    "harbour.txt": HARBOUR.replace(/^# /, ""),
    "lamp-records.pdf": minimalPdf(TITLES.lamp, LAMP_LINES),
  };
  return Object.entries(files).map(([name, body]) => {
    const path = join(dir, name);
    writeFileSync(path, body);
    return path;
  });
}

/** The words on the scanned page: only pixels, no text layer, so only OCR can read them. */
export const SCAN_LINES = ["Quantum harbor lighthouse beacons", "guide velvet orchard sailors home."];

/**
 * Writes `scan.pdf` into `dir`: one page whose only content is a grey image of `lines`, drawn by
 * ImageMagick (installed by scripts/setup) as a scanner would leave it. Returns its path.
 */
export function writeScanPdf(dir, lines = SCAN_LINES) {
  mkdirSync(dir, { recursive: true });
  const [w, h] = [1700, 700];
  const draw = lines.flatMap((l, i) => ["-annotate", `+80+${160 + i * 120}`, l]);
  const pixels = execFileSync("convert", ["-size", `${w}x${h}`, "xc:white", "-fill", "black", "-pointsize", "56", ...draw, "-depth", "8", "gray:-"], {
    maxBuffer: 16 * 1024 * 1024,
  });
  const image = deflateSync(pixels);
  // 612 pt wide, the height in proportion: the image fills the page.
  const [pw, ph] = [612, Math.round((612 * h) / w)];
  const content = `q ${pw} 0 0 ${ph} 0 0 cm /Im0 Do Q`;
  const parts = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${pw} ${ph}] /Contents 4 0 R /Resources << /XObject << /Im0 5 0 R >> >> >>`,
    Buffer.from(`<< /Length ${content.length} >>\nstream\n${content}\nendstream`, "latin1"),
    Buffer.concat([
      Buffer.from(`<< /Type /XObject /Subtype /Image /Width ${w} /Height ${h} /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode /Length ${image.length} >>\nstream\n`, "latin1"),
      image,
      Buffer.from("\nendstream", "latin1"),
    ]),
  ];
  const chunks = [Buffer.from("%PDF-1.4\n", "latin1")];
  let length = chunks[0].length;
  const offsets = [];
  parts.forEach((body, i) => {
    offsets.push(length);
    const piece = Buffer.concat([Buffer.from(`${i + 1} 0 obj\n`, "latin1"), Buffer.isBuffer(body) ? body : Buffer.from(body, "latin1"), Buffer.from("\nendobj\n", "latin1")]);
    chunks.push(piece);
    length += piece.length;
  });
  let tail = `xref\n0 ${parts.length + 1}\n0000000000 65535 f \n`;
  for (const o of offsets) tail += `${String(o).padStart(10, "0")} 00000 n \n`;
  tail += `trailer\n<< /Size ${parts.length + 1} /Root 1 0 R >>\nstartxref\n${length}\n%%EOF\n`;
  chunks.push(Buffer.from(tail, "latin1"));
  const path = join(dir, "scan.pdf");
  writeFileSync(path, Buffer.concat(chunks));
  return path;
}

/** The words on the faxed page. */
export const FAX_LINES = ["Copper kettles whistle", "beside amber canal locks."];

/**
 * Writes `fax.tiff` into `dir`: a bilevel page compressed as CCITT Group 4, the way fax machines
 * and office scanners store pages, drawn by ImageMagick. Returns its path.
 */
export function writeFaxTiff(dir, lines = FAX_LINES) {
  mkdirSync(dir, { recursive: true });
  const draw = lines.flatMap((l, i) => ["-annotate", `+80+${160 + i * 120}`, l]);
  const path = join(dir, "fax.tiff");
  execFileSync("convert", ["-size", "1700x500", "xc:white", "-fill", "black", "-pointsize", "56", ...draw, "-monochrome", "-compress", "Group4", path]);
  return path;
}
