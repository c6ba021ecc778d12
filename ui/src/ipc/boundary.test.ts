import { expect, it } from "vitest";

// The architecture rule "only src/ipc/ reaches Rust": no other module may import the Tauri API.
const sources = import.meta.glob<string>(["../**/*.ts", "!../**/*.test.ts"], {
  query: "?raw",
  import: "default",
  eager: true,
});

it("only src/ipc/ imports @tauri-apps/api", () => {
  const offenders = Object.entries(sources)
    .filter(([path, text]) => !path.startsWith("./") && /["'`]@tauri-apps\/api/.test(text))
    .map(([path]) => path);
  expect(Object.keys(sources).length).toBeGreaterThan(3);
  expect(offenders).toEqual([]);
});
