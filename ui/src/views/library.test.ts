import { describe, expect, it, vi } from "vitest";
import type { AppInfo } from "../ipc/client";
import { libraryView } from "./library";

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("Library view", () => {
  it("shows the data directory the backend reports", async () => {
    const info: AppInfo = { version: "1.2.3", data_dir: "/home/ada/.local/share/catena" };
    const view = libraryView(() => Promise.resolve(info));
    document.body.replaceChildren(view);
    expect(view.textContent).toContain("Looking up the data directory");

    await settle();

    expect(view.querySelector("[data-testid=data-dir-path]")?.textContent).toBe(
      "/home/ada/.local/share/catena",
    );
    expect(view.querySelector("[aria-busy]")).toBeNull();
    expect(view.textContent).toContain("catena ingest PATH");
  });

  it("shows a {code, message} error as an alert and retries on request", async () => {
    const load = vi
      .fn<(fresh?: boolean) => Promise<AppInfo>>()
      .mockRejectedValueOnce({ code: "DataDirUnavailable", message: "no home directory; set CATENA_DATA_DIR" })
      .mockResolvedValueOnce({ version: "1.2.3", data_dir: "/srv/catena" });
    const view = libraryView(load);
    document.body.replaceChildren(view);

    await settle();

    const alert = view.querySelector("[role=alert]");
    expect(alert?.textContent).toContain("no home directory; set CATENA_DATA_DIR");
    expect(alert?.textContent).toContain("DataDirUnavailable");

    alert?.querySelector("button")?.click();
    await settle();

    expect(load).toHaveBeenLastCalledWith(true);
    expect(view.querySelector("[role=alert]")).toBeNull();
    expect(view.querySelector("[data-testid=data-dir-path]")?.textContent).toBe("/srv/catena");
  });
});
