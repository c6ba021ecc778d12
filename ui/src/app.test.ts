import { describe, expect, it, vi } from "vitest";
import { mountApp } from "./app";
import type { DropEvent } from "./ipc/client";
import { fakeClient, settle } from "./testing/fake-client";

describe("app shell", () => {
  it("opens on the Library and loads app info once for header and view", async () => {
    const client = fakeClient();
    mountApp(document.body, client);
    await settle();

    expect(document.querySelector("[aria-current=page]")?.textContent).toBe("Library");
    expect(document.querySelector("h1")?.textContent).toBe("Library");
    expect(document.querySelector(".version")?.textContent).toBe("Version 0.9.0");
    expect(document.querySelector("[data-testid=data-dir-path]")?.textContent).toBe("/data/catena");
    expect(client.appInfo).toHaveBeenCalledTimes(1);
  });

  it("Ctrl+K focuses the library search and Ctrl+, opens Settings", async () => {
    mountApp(document.body, fakeClient());
    document.querySelector<HTMLButtonElement>("[data-view=history]")?.click();

    document.dispatchEvent(new KeyboardEvent("keydown", { key: "k", ctrlKey: true }));
    expect(document.querySelector("h1")?.textContent).toBe("Library");
    expect(document.activeElement?.id).toBe("library-search");

    document.dispatchEvent(new KeyboardEvent("keydown", { key: ",", metaKey: true }));
    expect(document.querySelector("h1")?.textContent).toBe("Settings");
    expect(document.querySelector("[aria-current=page]")?.textContent).toBe("Settings");
  });

  it("shows a drop target while files hover and ingests what is dropped", async () => {
    let send: (e: DropEvent) => void = () => undefined;
    const client = fakeClient({
      watchDrops: vi.fn((onEvent: (e: DropEvent) => void) => {
        send = onEvent;
        return Promise.resolve();
      }),
    });
    mountApp(document.body, client);
    document.querySelector<HTMLButtonElement>("[data-view=ask]")?.click();
    const overlay = document.querySelector<HTMLElement>(".drop-overlay");

    send({ type: "hover", count: 2 });
    expect(overlay?.hidden).toBe(false);
    send({ type: "dropped", paths: ["/home/ada/paper.pdf", "/home/ada/notes"] });
    await settle();

    expect(overlay?.hidden).toBe(true);
    expect(document.querySelector("h1")?.textContent).toBe("Library");
    expect(client.ingest).toHaveBeenCalledWith(["/home/ada/paper.pdf", "/home/ada/notes"], expect.any(Function));
  });
});
