import { describe, expect, it } from "vitest";
import { ocrMarks } from "./ocr-marks";

describe("ocrMarks", () => {
  it("places one mark per word of the page, in percent of the page", () => {
    const marks = ocrMarks(
      [
        { page: 2, bbox: [0.1, 0.2, 0.3, 0.25] },
        { page: 3, bbox: [0.5, 0.5, 0.6, 0.55] },
        { page: 2, bbox: [0.35, 0.2, 0.5, 0.25] },
      ],
      2,
    );
    expect(marks).toHaveLength(2);
    expect(marks[0]?.style.left).toBe("10.000%");
    expect(marks[0]?.style.top).toBe("20.000%");
    expect(marks[0]?.style.width).toBe("20.000%");
    expect(marks[0]?.style.height).toBe("5.000%");
    expect(marks[1]?.style.left).toBe("35.000%");
    expect(marks.every((m) => m.classList.contains("ocr-highlight"))).toBe(true);
  });

  it("keeps marks on the page and drops boxes with no area", () => {
    const marks = ocrMarks(
      [
        { page: 1, bbox: [-0.2, 0.9, 0.1, 1.4] },
        { page: 1, bbox: [0.4, 0.4, 0.4, 0.5] },
        { page: 1, bbox: [0.7, 0.3, 0.6, 0.4] },
      ],
      1,
    );
    expect(marks).toHaveLength(1);
    expect(marks[0]?.style.left).toBe("0.000%");
    expect(marks[0]?.style.height).toBe("10.000%");
  });
});
