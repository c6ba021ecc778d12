import { describe, expect, it, vi } from "vitest";
import { DEFAULT_SETTINGS, fakeClient, settle } from "../testing/fake-client";
import type { LlmTest, Settings } from "../types";
import { settingsView } from "./settings";

const input = (root: HTMLElement, id: string) => {
  const el = root.querySelector<HTMLInputElement>(`#${id}`);
  if (el === null) throw new Error(`no #${id}`);
  return el;
};

describe("Settings view", () => {
  it("never shows a key: it says whether one is stored", async () => {
    const client = fakeClient({ getSettings: () => Promise.resolve({ ...structuredClone(DEFAULT_SETTINGS), llm_key_stored: true }) });
    const view = settingsView(client);
    await settle();
    const key = input(view.element, "llm-key");
    expect(key.type).toBe("password");
    expect(key.value).toBe("");
    expect(view.element.textContent).toContain("Stored in the system keyring");
  });

  it("fills URL and provider from a preset, saves, and sends a typed key to the keyring only", async () => {
    const client = fakeClient();
    const view = settingsView(client);
    await settle();
    const preset = view.element.querySelector<HTMLSelectElement>("#llm-preset");
    if (preset === null) throw new Error("no preset");
    preset.value = "openrouter";
    preset.dispatchEvent(new Event("change"));
    expect(input(view.element, "llm-url").value).toBe("https://openrouter.ai/api/v1");
    input(view.element, "llm-model").value = "qwen/qwen3-32b";
    input(view.element, "llm-enabled").checked = true;
    input(view.element, "llm-key").value = "sk-or-123";
    input(view.element, "mrfs").value = "0.55";
    view.element.querySelector("form")?.dispatchEvent(new Event("submit", { cancelable: true }));
    await settle();

    const saved = vi.mocked(client.saveSettings).mock.calls[0]?.[0] as Settings;
    expect(saved.llm).toEqual({
      enabled: true,
      preset: "openrouter",
      provider: "openai-compatible",
      base_url: "https://openrouter.ai/api/v1",
      model: "qwen/qwen3-32b",
    });
    expect(saved.engine.mrfs_threshold).toBe(0.55);
    expect(JSON.stringify(saved)).not.toContain("sk-or-123");
    expect(client.setApiKey).toHaveBeenCalledWith("llm", "openai-compatible", "sk-or-123");
    expect(input(view.element, "llm-key").value).toBe("");
    expect(view.element.textContent).toContain("Saved.");
  });

  it("explains a failed connection test in words, with the technical cause behind Details", async () => {
    const answers: LlmTest[] = [
      {
        ok: false,
        message: "Nothing is answering at 127.0.0.1:11434. Is the model server running, and is the port right?",
        detail: "network error: could not reach the server: tcp connect error: Connection refused (os error 111)",
        models: [],
      },
      { ok: true, message: "Connected: qwen3 is available.", detail: null, models: ["qwen3"] },
    ];
    const client = fakeClient({ testLlm: () => Promise.resolve(answers.shift() as LlmTest) });
    const view = settingsView(client);
    await settle();
    const test = view.element.querySelector<HTMLButtonElement>("#llm-test");
    if (test === null) throw new Error("no test button");
    test.click();
    await settle();
    const status = view.element.querySelector(".test-result");
    expect(status?.textContent).toContain("Nothing is answering at 127.0.0.1:11434");
    expect(status?.classList.contains("bad")).toBe(true);
    const details = view.element.querySelector<HTMLDetailsElement>(".test-detail");
    expect(details?.hidden).toBe(false);
    expect(details?.querySelector("code")?.textContent).toContain("Connection refused");

    // A passing test hides the previous failure's details.
    test.click();
    await settle();
    expect(status?.textContent).toBe("Connected: qwen3 is available.");
    expect(details?.hidden).toBe(true);
  });

  it("offers local servers and fills the model list from one", async () => {
    const client = fakeClient({
      probeLocalServers: () =>
        Promise.resolve([{ preset: "lmstudio", label: "LM Studio", provider: "openai-compatible", base_url: "http://127.0.0.1:1234/v1", models: ["qwen3-8b", "llama-3.2-3b"] }]),
    });
    const view = settingsView(client);
    await settle();
    await settle();
    const chip = view.element.querySelector<HTMLButtonElement>(".chip");
    expect(chip?.textContent).toBe("LM Studio · 2 models");
    chip?.click();
    expect(input(view.element, "llm-url").value).toBe("http://127.0.0.1:1234/v1");
    expect(input(view.element, "llm-model").value).toBe("qwen3-8b");
    expect([...view.element.querySelectorAll("#llm-models option")].map((o) => o.getAttribute("value"))).toEqual(["qwen3-8b", "llama-3.2-3b"]);
  });

  it("reports a refused save next to the button", async () => {
    const client = fakeClient({ saveSettings: () => Promise.reject({ code: "InvalidInput", message: "the MRFS threshold must be between 0 and 1" }) });
    const view = settingsView(client);
    await settle();
    view.element.querySelector("form")?.dispatchEvent(new Event("submit", { cancelable: true }));
    await settle();
    expect(view.element.querySelector(".save-status")?.textContent).toBe("the MRFS threshold must be between 0 and 1");
  });
});
