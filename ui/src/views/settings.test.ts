import { describe, expect, it, vi } from "vitest";
import { DEFAULT_SETTINGS, fakeClient, settle } from "../testing/fake-client";
import type { DownloadEvent, LlmTest, SemanticStatus, Settings } from "../types";
import { keyringProblem, settingsView } from "./settings";

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
    const mode = view.element.querySelector<HTMLSelectElement>("#run-mode-default");
    expect(mode?.value).toBe("chain");
    expect(view.element.querySelector("label[for=run-mode-default]")?.textContent).toBe("Answer questions as");
    if (mode) mode.value = "agent";
    const protocol = view.element.querySelector<HTMLSelectElement>("#agent-protocol");
    expect(protocol?.value).toBe("auto");
    if (protocol) protocol.value = "tools";
    const observations = view.element.querySelector<HTMLSelectElement>("#agent-observations");
    expect(observations?.value).toBe("real");
    if (observations) observations.value = "predict";
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
    expect(saved.engine.run_mode).toBe("agent");
    expect(saved.engine.agent_protocol).toBe("tools");
    expect(saved.engine.observations).toBe("predict");
    expect(JSON.stringify(saved)).not.toContain("sk-or-123");
    expect(client.setApiKey).toHaveBeenCalledWith("llm", "openai-compatible", "sk-or-123");
    expect(input(view.element, "llm-key").value).toBe("");
    expect(view.element.textContent).toContain("Saved.");
  });

  it("explains a failed connection test in words, with the technical cause behind Details", async () => {
    const answers: LlmTest[] = [
      {
        ok: false,
        kind: "unreachable",
        status: null,
        message: "Nothing is answering at 127.0.0.1:11434. Is the model server running, and is the port right?",
        detail: "network error: could not reach the server: tcp connect error: Connection refused (os error 111)",
        models: [],
      },
      { ok: true, kind: null, status: null, message: "Connected: qwen3 is available.", detail: null, models: ["qwen3"] },
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

  it("turns OCR off and sets its languages; the languages box is off while OCR is", async () => {
    const client = fakeClient();
    const view = settingsView(client);
    await settle();
    const ocr = input(view.element, "ocr-enabled");
    const langs = input(view.element, "ocr-langs");
    expect(ocr.checked).toBe(true);
    expect(langs.value).toBe("eng");
    expect(langs.disabled).toBe(false);
    langs.value = " eng+deu ";
    view.element.querySelector("form")?.dispatchEvent(new Event("submit", { cancelable: true }));
    await settle();
    expect((vi.mocked(client.saveSettings).mock.calls[0]?.[0] as Settings).library).toEqual({ chunk_chars: 800, ocr: true, ocr_languages: "eng+deu" });

    ocr.checked = false;
    ocr.dispatchEvent(new Event("change"));
    expect(langs.disabled).toBe(true);
    view.element.querySelector("form")?.dispatchEvent(new Event("submit", { cancelable: true }));
    await settle();
    expect((vi.mocked(client.saveSettings).mock.calls[1]?.[0] as Settings).library.ocr).toBe(false);
  });

  it("shows a missing OCR language's package when the save is refused", async () => {
    const client = fakeClient({
      saveSettings: () => Promise.reject({ code: "InvalidInput", message: "OCR language 'deu' is not installed (install the tesseract-ocr-deu package)" }),
    });
    const view = settingsView(client);
    await settle();
    input(view.element, "ocr-langs").value = "eng+deu";
    view.element.querySelector("form")?.dispatchEvent(new Event("submit", { cancelable: true }));
    await settle();
    expect(view.element.querySelector(".save-status")?.textContent).toContain("tesseract-ocr-deu");
  });

  it("reports a refused save next to the button", async () => {
    const client = fakeClient({ saveSettings: () => Promise.reject({ code: "InvalidInput", message: "the MRFS threshold must be between 0 and 1" }) });
    const view = settingsView(client);
    await settle();
    view.element.querySelector("form")?.dispatchEvent(new Event("submit", { cancelable: true }));
    await settle();
    expect(view.element.querySelector(".save-status")?.textContent).toBe("the MRFS threshold must be between 0 and 1");
  });

  it("chooses the embedder, downloads the default model with progress and cancel, and keeps its key write-only", async () => {
    const status: SemanticStatus = {
      on: false,
      model: null,
      embedded: 0,
      total: 0,
      reason: "no embedding model is installed",
      loading: false,
      can_download: true,
      offline: false,
      progress: null,
      last_error: null,
    };
    let emit: (e: DownloadEvent) => void = () => undefined;
    let fail: (e: unknown) => void = () => undefined;
    const client = fakeClient({
      getSettings: () => Promise.resolve({ ...structuredClone(DEFAULT_SETTINGS), web: { ...DEFAULT_SETTINGS.web, offline: false } }),
      semanticStatus: vi.fn(() => Promise.resolve(status)),
      downloadModel: vi.fn((onEvent: (e: DownloadEvent) => void) => {
        emit = onEvent;
        return new Promise<void>((_resolve, reject) => (fail = reject));
      }),
      pickModelFolder: vi.fn(() => Promise.resolve("/models/bge-small")),
    });
    const view = settingsView(client);
    await settle();
    await settle();
    const provider = view.element.querySelector<HTMLSelectElement>("#emb-provider");
    if (provider === null) throw new Error("no embedder choice");
    expect(provider.value).toBe("local");
    const download = view.element.querySelector<HTMLButtonElement>("#emb-download");
    expect(download?.hidden).toBe(false);
    expect(download?.disabled).toBe(false);
    download?.click();
    emit({ file: "model.safetensors", index: 2, files: 3, done: 50_000_000, total: 100_000_000 });
    const bar = view.element.querySelector<HTMLProgressElement>("#semantic-settings progress");
    expect(bar?.value).toBe(50_000_000);
    expect(bar?.max).toBe(100_000_000);
    expect(view.element.querySelector("#semantic-settings .download-status")?.textContent).toBe(
      "Downloading model.safetensors (3 of 3): 48 MB of 95 MB",
    );
    const cancel = [...view.element.querySelectorAll<HTMLButtonElement>("#semantic-settings button")].find((b) => b.textContent === "Cancel");
    cancel?.click();
    expect(client.cancelDownload).toHaveBeenCalled();
    fail({ code: "Cancelled", message: "the download was cancelled" });
    await settle();
    expect(view.element.querySelector("#semantic-settings .download-status")?.textContent).toBe("Paused. What arrived is kept: download again to resume.");
    expect(download?.textContent).toBe("Resume the download");

    // Offline turns the download off.
    const offline = input(view.element, "web-offline");
    offline.checked = true;
    offline.dispatchEvent(new Event("change"));
    expect(download?.disabled).toBe(true);
    expect(view.element.querySelector("#semantic-settings .download-status")?.textContent).toContain("Offline is on");

    // A model server, with its key sent to the keyring only.
    provider.value = "openai";
    provider.dispatchEvent(new Event("change"));
    expect(view.element.querySelector<HTMLElement>("#emb-download")?.closest<HTMLElement>(".field")?.hidden).toBe(true);
    input(view.element, "emb-url").value = "https://api.example.org/v1";
    input(view.element, "emb-model").value = "text-embedding-3-small";
    input(view.element, "emb-key").value = "sk-emb-1";
    view.element.querySelector("form")?.dispatchEvent(new Event("submit", { cancelable: true }));
    await settle();
    const saved = vi.mocked(client.saveSettings).mock.calls[0]?.[0] as Settings;
    expect(saved.embedding).toEqual({ provider: "openai", model_dir: "", base_url: "https://api.example.org/v1", model: "text-embedding-3-small" });
    expect(JSON.stringify(saved)).not.toContain("sk-emb-1");
    expect(client.setApiKey).toHaveBeenCalledWith("embedding", "openai", "sk-emb-1");
    expect(input(view.element, "emb-key").value).toBe("");

    // A folder picked in the system dialog.
    provider.value = "folder";
    provider.dispatchEvent(new Event("change"));
    [...view.element.querySelectorAll<HTMLButtonElement>("#semantic-settings button")].find((b) => b.textContent === "Choose folder…")?.click();
    await settle();
    expect(input(view.element, "emb-dir").value).toBe("/models/bge-small");
  });
});

describe("Settings view: the keyring", () => {
  const withKeyring = (keyring_error: string | null) =>
    fakeClient({ getSettings: () => Promise.resolve({ ...structuredClone(DEFAULT_SETTINGS), llm_key_stored: false, keyring_error }) });

  it("says No key stored, and nothing in red, when the keyring simply has no key", async () => {
    for (const answer of [null, "the system keyring is unavailable (secret Service: no result found); set CATENA_LLM_API_KEY in the environment instead", "keyring error: no such keyring item"]) {
      const view = settingsView(withKeyring(answer));
      await settle();
      expect(view.element.querySelector(".key-state")?.textContent).toBe("No key stored");
      expect(view.element.querySelector(".hint.bad"), String(answer)).toBeNull();
      expect(view.element.textContent).not.toContain("no result found");
    }
  });

  it("shows a real keyring failure plainly", async () => {
    const view = settingsView(withKeyring("the system keyring is unavailable (the keyring is locked and could not be unlocked); set CATENA_LLM_API_KEY in the environment instead"));
    await settle();
    expect(view.element.querySelector(".key-state")?.textContent).toBe("No key stored");
    expect(view.element.querySelector(".hint.bad")?.textContent).toBe(
      "The system keyring is unavailable (the keyring is locked and could not be unlocked); set CATENA_LLM_API_KEY in the environment instead",
    );
  });

  it("tells a missing key from a failure", () => {
    expect(keyringProblem(null)).toBeNull();
    expect(keyringProblem("  ")).toBeNull();
    expect(keyringProblem("secret Service: no result found")).toBeNull();
    expect(keyringProblem("keyring error: unexpected keyring failure")).toBe("Keyring error: unexpected keyring failure");
  });
});
