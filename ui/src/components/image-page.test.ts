import { describe, expect, it } from "vitest";
import { imageMime, isImagePath } from "./image-page";

describe("image pages", () => {
  it("knows image documents by their extension, whatever its case", () => {
    expect(isImagePath("/scans/Receipt.JPG")).toBe(true);
    expect(isImagePath("/scans/fax.tiff")).toBe(true);
    expect(isImagePath("/docs/report.pdf")).toBe(false);
    expect(isImagePath("/docs/png")).toBe(false);
    expect(isImagePath(null)).toBe(false);
  });

  it("types the bytes from their signature", () => {
    expect(imageMime(new Uint8Array([0xff, 0xd8, 0xff, 0xe0]))).toBe("image/jpeg");
    expect(imageMime(new TextEncoder().encode("RIFF\0\0\0\0WEBPVP8 "))).toBe("image/webp");
    expect(imageMime(new Uint8Array([0x89, 0x50, 0x4e, 0x47]))).toBe("image/png");
  });
});
