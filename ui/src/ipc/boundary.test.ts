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

// The rule "the shapes that cross the bridge are generated": types.ts may only name types of
// generated/ipc.ts, and the client declares only itself and its error codes, so no shape is kept
// by hand beside the Rust one it would drift from.
function declaredByHand(path: string): string[] {
  const text = sources[path];
  expect(text, path).toBeDefined();
  const code = (text ?? "").replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
  const generated = [...code.matchAll(/import\s+type\s*\{([^}]*)\}\s*from\s*["']\.\.?\/generated\/ipc["']/g)]
    .flatMap((m) => (m[1] ?? "").split(","))
    .map((name) => name.trim())
    .filter((name) => name !== "");
  const body = code.replace(/\bimport\b[^;]*;/g, "");
  const declarations = [...body.matchAll(/\b(interface|type|enum|class)\s+(\w+)([^;{]*)/g)];
  expect(declarations.length, path).toBeGreaterThan(0);
  return declarations
    .filter(([, kind, , rest]) => {
      if (kind !== "type") return true;
      const target = /^\s*=\s*(\w+)\s*$/.exec(rest ?? "")?.[1];
      return target === undefined || !generated.includes(target);
    })
    .map(([, , name]) => name ?? "");
}

it("types.ts declares no IPC shape by hand, only names for generated ones", () => {
  expect(declaredByHand("../types.ts")).toEqual([]);
});

it("the client declares no IPC shape of its own", () => {
  expect(declaredByHand("./client.ts").sort()).toEqual(["Client", "IpcError", "IpcErrorCode"]);
});
