import { describe, expect, it } from "vitest";
import { mountApp } from "./app";
import type { Client } from "./ipc/client";

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

function fakeClient(): Client & { calls: number } {
  const client = {
    calls: 0,
    appInfo() {
      client.calls += 1;
      return Promise.resolve({ version: "0.9.0", data_dir: "/data/catena" });
    },
  };
  return client;
}

describe("app shell", () => {
  it("opens on the Library and loads app info once for header and view", async () => {
    const client = fakeClient();
    mountApp(document.body, client);
    await settle();

    const current = document.querySelector("[aria-current=page]");
    expect(current?.textContent).toBe("Library");
    expect(document.querySelector("h1")?.textContent).toBe("Library");
    expect(document.querySelector(".version")?.textContent).toBe("Version 0.9.0");
    expect(client.calls).toBe(1);
  });

  it("shows an honest empty state for sections that do not exist yet", () => {
    mountApp(document.body, fakeClient());

    document.querySelector<HTMLButtonElement>("[data-view=history]")?.click();

    expect(document.querySelector("[aria-current=page]")?.textContent).toBe("History");
    expect(document.querySelector("h1")?.textContent).toBe("History");
    expect(document.querySelector("main")?.textContent).toContain("Coming soon");
  });
});
