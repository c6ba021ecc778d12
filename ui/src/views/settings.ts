// The Settings view: the language model (presets, server's model list, a test), API keys written
// to the OS keyring and never read back, web search, and the engine's advanced knobs.
import { h } from "../dom";
import { type Client, toIpcError } from "../ipc/client";
import { bytes } from "../format";
import { mcpPanel } from "./mcp-panel";
import type { DownloadEvent, EmbeddingSettings, LlmPreset, LlmProvider, LocalServer, SemanticStatus, Settings, SettingsView } from "../types";

export interface Preset {
  id: LlmPreset;
  label: string;
  provider: LlmProvider;
  baseUrl: string;
  needsKey: boolean;
}

export const PRESETS: Preset[] = [
  { id: "openai", label: "OpenAI", provider: "openai-compatible", baseUrl: "https://api.openai.com/v1", needsKey: true },
  { id: "anthropic", label: "Anthropic", provider: "anthropic", baseUrl: "https://api.anthropic.com", needsKey: true },
  { id: "ollama", label: "Ollama", provider: "ollama", baseUrl: "http://127.0.0.1:11434", needsKey: false },
  { id: "lmstudio", label: "LM Studio", provider: "openai-compatible", baseUrl: "http://127.0.0.1:1234/v1", needsKey: false },
  { id: "llamacpp", label: "llama.cpp", provider: "openai-compatible", baseUrl: "http://127.0.0.1:8080/v1", needsKey: false },
  { id: "vllm", label: "vLLM", provider: "openai-compatible", baseUrl: "http://127.0.0.1:8000/v1", needsKey: false },
  { id: "openrouter", label: "OpenRouter", provider: "openai-compatible", baseUrl: "https://openrouter.ai/api/v1", needsKey: true },
  { id: "custom", label: "Other OpenAI-compatible server", provider: "openai-compatible", baseUrl: "", needsKey: false },
];

const WEB_PROVIDERS = [
  ["wikipedia", "Wikipedia (no key)"],
  ["searxng", "SearXNG (your instance)"],
  ["brave", "Brave Search"],
  ["tavily", "Tavily"],
] as const;

/** Where semantic search gets its embeddings. */
export const EMBEDDERS: [EmbeddingSettings["provider"], string][] = [
  ["local", "Built-in model (all-MiniLM-L6-v2, runs on this computer)"],
  ["folder", "A model folder on this computer"],
  ["ollama", "Ollama"],
  ["openai", "OpenAI-compatible server"],
  ["off", "Off: keyword search only"],
];

const EMBEDDER_URL: Record<string, string> = { ollama: "http://localhost:11434", openai: "https://api.openai.com/v1" };

/** The download line: "12.0 MB of 90.9 MB". */
/**
 * What to say about the keyring under the key field, or null when there is nothing wrong. "No
 * entry" or "no result" answers mean only that no key is stored yet (the normal state, which the
 * key's own line already says); real failures (no keyring running, a locked keyring) are shown.
 */
export function keyringProblem(error: string | null | undefined): string | null {
  const text = (error ?? "").trim();
  if (text === "" || /\bno (result found|such keyring item|entry|matching (item|entry))\b/i.test(text)) return null;
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function downloadText(e: DownloadEvent): string {
  return e.total ? `${bytes(e.done)} of ${bytes(e.total)}` : bytes(e.done);
}

type Field = HTMLInputElement | HTMLSelectElement;

/** A select of `[value, label]` options with `value` chosen, described by its row's hint. */
function choice(id: string, options: [string, string][], value: string): HTMLSelectElement {
  const select = h("select", { id, "aria-describedby": `${id}-hint` }, ...options.map(([v, l]) => h("option", { value: v }, l)));
  select.value = value;
  return select;
}

function row(id: string, label: string, control: Field | HTMLElement, hint?: string): HTMLElement {
  return h(
    "div",
    { class: "field" },
    h("label", { for: id }, label),
    control,
    hint ? h("p", { class: "hint", id: `${id}-hint` }, hint) : null,
  );
}

function check(id: string, label: string, input: HTMLInputElement, hint?: string): HTMLElement {
  return h("div", { class: "field check-field" }, h("label", { class: "check", for: id }, input, ` ${label}`), hint ? h("p", { class: "hint" }, hint) : null);
}

export interface SettingsViewHandle {
  element: HTMLElement;
  refresh(): void;
}

export function settingsView(client: Client): SettingsViewHandle {
  const status = h("p", { class: "save-status", role: "status", "aria-live": "polite" });
  const body = h("div", { class: "settings-body" }, h("p", { class: "muted" }, "Loading settings…"));
  const element = h(
    "section",
    { class: "view", "aria-labelledby": "settings-title" },
    h("header", { class: "view-header" }, h("h1", { id: "settings-title" }, "Settings"), h("p", { class: "lede" }, "Where answers come from and how carefully they are checked.")),
    body,
  );

  const build = (s: SettingsView) => {
    // Language model
    const enabled = h("input", { type: "checkbox", id: "llm-enabled", checked: s.llm.enabled });
    const preset = h("select", { id: "llm-preset" }, ...PRESETS.map((p) => h("option", { value: p.id }, p.label)));
    preset.value = PRESETS.some((p) => p.id === s.llm.preset) ? s.llm.preset : "custom";
    const baseUrl = h("input", { type: "url", id: "llm-url", value: s.llm.base_url, placeholder: "http://127.0.0.1:11434", spellcheck: false });
    const model = h("input", { type: "text", id: "llm-model", value: s.llm.model, list: "llm-models", spellcheck: false, placeholder: "Choose or type a model" });
    const models = h("datalist", { id: "llm-models" });
    const testButton = h("button", { type: "button", class: "button", id: "llm-test" }, "Test connection");
    const testResult = h("p", { class: "small test-result", role: "status", "aria-live": "polite" });
    // What the server or the network said, for whoever wants the technical cause.
    const testDetail = h("details", { class: "small test-detail", hidden: true });
    const showDetail = (detail: string | null | undefined) => {
      testDetail.replaceChildren(h("summary", {}, "Details"), h("code", {}, detail ?? ""));
      testDetail.hidden = !detail;
    };
    const key = h("input", { type: "password", id: "llm-key", autocomplete: "off", placeholder: s.llm_key_stored ? "Stored — type to replace" : "Paste an API key" });
    const keyState = h("span", { class: "key-state small" });
    const forget = h("button", { type: "button", class: "button subtle" }, "Remove key");
    let llmKeyStored = s.llm_key_stored;
    const keyringText = keyringProblem(s.keyring_error);
    const keyringNote = keyringText === null ? null : h("p", { class: "hint bad" }, keyringText);
    const paintKey = () => {
      keyState.textContent = llmKeyStored ? "✓ Stored in the system keyring" : "No key stored";
      keyState.className = `key-state small ${llmKeyStored ? "ok" : "muted"}`;
      forget.hidden = !llmKeyStored;
      key.placeholder = llmKeyStored ? "Stored — type to replace" : "Paste an API key";
    };
    paintKey();
    const currentPreset = () => PRESETS.find((p) => p.id === preset.value) ?? (PRESETS[PRESETS.length - 1] as Preset);
    preset.addEventListener("change", () => {
      baseUrl.value = currentPreset().baseUrl;
      model.value = "";
      models.replaceChildren();
      testResult.textContent = "";
      showDetail(null);
    });
    const llmSettings = () => ({
      enabled: enabled.checked,
      preset: currentPreset().id,
      provider: currentPreset().provider,
      base_url: baseUrl.value.trim(),
      model: model.value.trim(),
    });
    testButton.addEventListener("click", () => {
      testResult.textContent = "Connecting…";
      testResult.className = "small test-result";
      showDetail(null);
      client.testLlm(llmSettings()).then(
        (r) => {
          testResult.textContent = r.message;
          testResult.className = `small test-result ${r.ok ? "ok" : "bad"}`;
          showDetail(r.detail);
          models.replaceChildren(...r.models.map((m) => h("option", { value: m })));
        },
        (raw) => {
          testResult.textContent = toIpcError(raw).message;
          testResult.className = "small test-result bad";
        },
      );
    });
    forget.addEventListener("click", () => {
      client.deleteApiKey("llm", currentPreset().provider).then(
        () => {
          llmKeyStored = false;
          paintKey();
        },
        (raw) => (keyState.textContent = toIpcError(raw).message),
      );
    });

    const local = h("div", { class: "local-servers", "aria-live": "polite" });
    const useServer = (server: LocalServer) => {
      preset.value = server.preset;
      baseUrl.value = server.base_url;
      models.replaceChildren(...server.models.map((m) => h("option", { value: m })));
      if (server.models[0] !== undefined && model.value === "") model.value = server.models[0];
      enabled.checked = true;
      testResult.textContent = `${server.label} selected: ${server.models.length} models.`;
    };
    client.probeLocalServers().then(
      (servers) => {
        if (servers.length === 0) {
          local.replaceChildren(h("p", { class: "muted small" }, "No model server found on this machine (Ollama, LM Studio, llama.cpp, vLLM on their usual ports)."));
          return;
        }
        local.replaceChildren(
          h("p", { class: "small" }, "Found on this machine:"),
          ...servers.map((server) => {
            const b = h("button", { type: "button", class: "chip" }, `${server.label} · ${server.models.length} models`);
            b.addEventListener("click", () => useServer(server));
            return b;
          }),
        );
      },
      () => local.replaceChildren(),
    );

    // Web search
    const webProvider = h("select", { id: "web-provider" }, ...WEB_PROVIDERS.map(([v, l]) => h("option", { value: v }, l)));
    webProvider.value = s.web.provider;
    const searchUrl = h("input", { type: "url", id: "web-url", value: s.web.search_url, placeholder: "https://searx.example.org", spellcheck: false });
    const offline = h("input", { type: "checkbox", id: "web-offline", checked: s.web.offline });
    const privateNet = h("input", { type: "checkbox", id: "web-private", checked: s.web.allow_private_network });
    const fetchPages = h("input", { type: "checkbox", id: "web-fetch", checked: s.web.fetch_pages });
    const webK = h("input", { type: "number", id: "web-k", min: "1", max: "20", value: String(s.web.k) });
    const webKey = h("input", { type: "password", id: "web-key", autocomplete: "off", placeholder: s.web_key_stored ? "Stored — type to replace" : "API key (Brave, Tavily)" });

    // Advanced
    const threshold = h("input", { type: "number", id: "mrfs", min: "0", max: "1", step: "0.01", value: String(s.engine.mrfs_threshold) });
    const policy = h(
      "select",
      { id: "missing-policy" },
      h("option", { value: "retrieve_and_verify" }, "Check every guess against the sources"),
      h("option", { value: "skip_retrieval" }, "Trust the model's own answers (faster)"),
    );
    policy.value = s.engine.missing_policy;
    const topK = h("input", { type: "number", id: "top-k", min: "1", max: "50", value: String(s.engine.top_k) });
    const maxNodes = h("input", { type: "number", id: "max-nodes", min: "1", max: "30", value: String(s.engine.max_nodes) });
    const runMode = choice("run-mode-default", [["chain", "Chain of steps"], ["agent", "Agent"]], s.engine.run_mode ?? "chain");
    const protocol = choice(
      "agent-protocol",
      [["auto", "Automatic (by model)"], ["tags", "Search tags in its reasoning"], ["tools", "The provider's tool calls"]],
      s.engine.agent_protocol ?? "auto",
    );
    const observations = choice(
      "agent-observations",
      [
        ["real", "Look everything up"],
        ["predict", "Predict each result first, then look it up"],
        ["predicted_only", "Predict only (the model's own knowledge, never cited)"],
      ],
      s.engine.observations ?? "real",
    );
    const chunk = h("input", { type: "number", id: "chunk", min: "200", max: "4000", step: "50", value: String(s.library.chunk_chars) });

    // Scanned pages
    const ocr = h("input", { type: "checkbox", id: "ocr-enabled" });
    ocr.checked = s.library.ocr;
    const ocrLangs = h("input", { type: "text", id: "ocr-langs", value: s.library.ocr_languages, spellcheck: false, placeholder: "eng", autocomplete: "off" });
    const paintOcr = () => (ocrLangs.disabled = !ocr.checked);
    ocr.addEventListener("change", paintOcr);
    paintOcr();

    // Semantic search
    const embProvider = h("select", { id: "emb-provider" }, ...EMBEDDERS.map(([v, l]) => h("option", { value: v }, l)));
    embProvider.value = s.embedding.provider;
    const embDir = h("input", { type: "text", id: "emb-dir", value: s.embedding.model_dir, spellcheck: false, placeholder: "A folder with config.json, tokenizer.json and model.safetensors" });
    const pickDir = h("button", { type: "button", class: "button" }, "Choose folder…");
    pickDir.addEventListener("click", () => {
      client.pickModelFolder().then(
        (dir) => {
          if (dir !== null) embDir.value = dir;
        },
        (raw) => (downloadStatus.textContent = toIpcError(raw).message),
      );
    });
    const embUrl = h("input", { type: "url", id: "emb-url", value: s.embedding.base_url, spellcheck: false });
    const embModel = h("input", { type: "text", id: "emb-model", value: s.embedding.model, spellcheck: false, placeholder: "nomic-embed-text" });
    const embKey = h("input", { type: "password", id: "emb-key", autocomplete: "off", placeholder: s.embedding_key_stored ? "Stored — type to replace" : "API key, if the server needs one" });
    const downloadBar = h("progress", { class: "progress", max: "1", value: "0", hidden: true, "aria-label": "Model download" });
    const downloadStatus = h("p", { class: "small download-status", role: "status", "aria-live": "polite" });
    const downloadButton = h("button", { type: "button", class: "button", id: "emb-download" }, "Download the model");
    const cancelDownload = h("button", { type: "button", class: "button subtle", hidden: true }, "Cancel");
    let semantic: SemanticStatus | null = null;
    let downloading = false;
    // What the last download attempt ended with (paused, failed), kept until the next one.
    let downloadNote = "";
    const paintDownload = () => {
      if (downloading) return;
      downloadButton.hidden = semantic === null || !semantic.can_download;
      downloadButton.disabled = offline.checked;
      if (semantic === null) return;
      if (!semantic.can_download) downloadStatus.textContent = semantic.on ? `Installed and in use: ${semantic.model ?? ""}.` : "The model is installed.";
      else if (offline.checked) downloadStatus.textContent = "Not downloaded yet (about 90 MB). Offline is on (Web search below): turn it off and save to download.";
      else if (downloadNote !== "") downloadStatus.textContent = downloadNote;
      else downloadStatus.textContent = "Not downloaded yet: about 90 MB, once. Until then search uses keywords only.";
    };
    const loadSemantic = () =>
      client.semanticStatus().then(
        (st) => {
          semantic = st;
          paintDownload();
        },
        () => undefined,
      );
    downloadButton.addEventListener("click", () => {
      downloading = true;
      downloadNote = "";
      downloadButton.disabled = true;
      cancelDownload.hidden = false;
      downloadBar.hidden = false;
      downloadStatus.textContent = "Starting the download…";
      client
        .downloadModel((e) => {
          downloadBar.max = Math.max(e.total ?? e.done, 1);
          downloadBar.value = e.done;
          downloadStatus.textContent = `Downloading ${e.file} (${e.index + 1} of ${e.files}): ${downloadText(e)}`;
        })
        .then(
          () => {
            downloadStatus.textContent = "Downloaded and checked. Semantic search is turning on; your library is embedded in the background.";
            downloadBar.value = downloadBar.max;
          },
          (raw) => {
            const e = toIpcError(raw);
            downloadNote = e.code === "Cancelled" ? "Paused. What arrived is kept: download again to resume." : e.message;
            downloadStatus.textContent = downloadNote;
            downloadButton.textContent = "Resume the download";
          },
        )
        .finally(() => {
          downloading = false;
          downloadButton.disabled = offline.checked;
          cancelDownload.hidden = true;
          void loadSemantic();
        });
    });
    cancelDownload.addEventListener("click", () => void client.cancelDownload());
    const folderRow = row("emb-dir", "Model folder", h("div", { class: "inline" }, embDir, pickDir));
    const serverRows = h(
      "div",
      {},
      row("emb-url", "Server URL", embUrl),
      row("emb-model", "Embedding model", embModel),
      row("emb-key", "API key", embKey, s.embedding_key_stored ? "A key is stored in the system keyring." : undefined),
    );
    const downloadRow = h("div", { class: "field" }, h("div", { class: "inline" }, downloadButton, cancelDownload), downloadBar, downloadStatus);
    const paintEmbedder = () => {
      const p = embProvider.value;
      folderRow.hidden = p !== "folder";
      serverRows.hidden = p !== "ollama" && p !== "openai";
      downloadRow.hidden = p !== "local";
      embUrl.placeholder = EMBEDDER_URL[p] ?? "";
    };
    embProvider.addEventListener("change", paintEmbedder);
    offline.addEventListener("change", paintDownload);
    paintEmbedder();
    void loadSemantic();

    const save = h("button", { type: "submit", class: "button primary" }, "Save settings");
    const form = h(
      "form",
      { class: "settings-form", novalidate: true },
      h(
        "fieldset",
        { class: "card" },
        h("legend", { class: "card-title" }, "Language model"),
        check("llm-enabled", "Use a language model to plan and write answers", enabled, "Without one, answers are stitched from the passages found (extractive)."),
        local,
        row("llm-preset", "Provider", preset),
        row("llm-url", "Base URL", baseUrl),
        h("div", { class: "field" }, h("label", { for: "llm-model" }, "Model"), h("div", { class: "inline" }, model, testButton), models, testResult, testDetail),
        h("div", { class: "field" }, h("label", { for: "llm-key" }, "API key"), h("div", { class: "inline" }, key, forget), keyState, keyringNote),
        row(
          "run-mode-default",
          "Answer questions as",
          runMode,
          "Chain of steps: plan the steps, search for each, then answer. Agent: a reasoning model decides what to look up while it thinks; it needs a language model. The ask box can change it for one question.",
        ),
        row(
          "agent-protocol",
          "Agent asks for searches with",
          protocol,
          "Automatic: search tags for models trained on them (AutoCoA, DeepSeek-R1 and its distills, QwQ), the provider's tool calls for the others.",
        ),
        row(
          "agent-observations",
          "Agent's expected results",
          observations,
          "Predicting first shows where the model expected something other than what your library says. Predict only looks nothing up: the answer rests on the model's own knowledge and cites nothing.",
        ),
      ),
      h(
        "fieldset",
        { class: "card" },
        h("legend", { class: "card-title" }, "Web search"),
        check("web-offline", "Offline: never search the web", offline),
        row("web-provider", "Search provider", webProvider),
        row("web-url", "Search URL", searchUrl, "For SearXNG, the address of your instance."),
        row("web-key", "API key", webKey, s.web_key_stored ? "A key is stored in the system keyring." : undefined),
        row("web-k", "Results per search", webK),
        check("web-fetch", "Read the result pages, not only their snippets", fetchPages),
        check("web-private", "Allow pages on private and local network addresses", privateNet),
      ),
      h(
        "fieldset",
        { class: "card", id: "semantic-settings" },
        h("legend", { class: "card-title" }, "Semantic search"),
        h("p", { class: "hint" }, "Finds passages by meaning as well as by their words, so questions in your own words find them too."),
        row("emb-provider", "Embeddings from", embProvider),
        downloadRow,
        folderRow,
        serverRows,
      ),
      h(
        "fieldset",
        { class: "card", id: "ocr-settings" },
        h("legend", { class: "card-title" }, "Scanned pages and images"),
        check("ocr-enabled", "Read scanned pages and images with OCR (Tesseract)", ocr, "Off: scanned pages are listed as needing OCR and images are not read."),
        row(
          "ocr-langs",
          "OCR languages",
          ocrLangs,
          "Tesseract language codes joined by +, for example eng+deu. Each needs its package (tesseract-ocr-deu). Applies to files read from now on.",
        ),
      ),
      h(
        "details",
        { class: "card advanced" },
        h("summary", { class: "card-title" }, "Advanced"),
        row("mrfs", "MRFS threshold", threshold, "A guess scoring at least this against a source is kept; below it, the answer is taken from the sources."),
        row("missing-policy", "Answers the model already knows", policy),
        row("top-k", "Passages per step", topK),
        row("max-nodes", "Longest chain of steps", maxNodes),
        row("chunk", "Passage size (characters)", chunk, "Applies to files added after Catena restarts."),
      ),
      h("div", { class: "form-actions" }, status, save),
    );

    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const settings: Settings = {
        llm: llmSettings(),
        web: {
          provider: webProvider.value as Settings["web"]["provider"],
          search_url: searchUrl.value.trim(),
          offline: offline.checked,
          allow_private_network: privateNet.checked,
          k: Number(webK.value),
          fetch_pages: fetchPages.checked,
        },
        engine: {
          mrfs_threshold: Number(threshold.value),
          missing_policy: policy.value as Settings["engine"]["missing_policy"],
          top_k: Number(topK.value),
          max_nodes: Number(maxNodes.value),
          run_mode: runMode.value === "agent" ? "agent" : "chain",
          agent_protocol: protocol.value === "tags" || protocol.value === "tools" ? protocol.value : "auto",
          observations: observations.value === "predict" || observations.value === "predicted_only" ? observations.value : "real",
        },
        library: { chunk_chars: Number(chunk.value), ocr: ocr.checked, ocr_languages: ocrLangs.value.trim() || "eng" },
        embedding: {
          provider: embProvider.value as EmbeddingSettings["provider"],
          model_dir: embDir.value.trim(),
          base_url: embUrl.value.trim(),
          model: embModel.value.trim(),
        },
      };
      save.disabled = true;
      status.textContent = "Saving…";
      status.className = "save-status";
      const keys: Promise<void>[] = [];
      if (key.value.trim() !== "") keys.push(client.setApiKey("llm", settings.llm.provider, key.value));
      if (webKey.value.trim() !== "") keys.push(client.setApiKey("web", settings.web.provider, webKey.value));
      if (embKey.value.trim() !== "") keys.push(client.setApiKey("embedding", settings.embedding.provider, embKey.value));
      Promise.all([client.saveSettings(settings), ...keys]).then(
        () => {
          save.disabled = false;
          if (key.value.trim() !== "") llmKeyStored = true;
          // Keys are write-only: the fields empty as soon as the keyring has them.
          key.value = "";
          webKey.value = "";
          embKey.value = "";
          paintKey();
          void loadSemantic();
          status.textContent = "Saved.";
          status.className = "save-status ok";
        },
        (raw) => {
          save.disabled = false;
          status.textContent = toIpcError(raw).message;
          status.className = "save-status bad";
        },
      );
    });
    body.replaceChildren(form, mcpPanel(client));
  };

  const refresh = () => {
    client.getSettings().then(build, (raw) =>
      body.replaceChildren(h("div", { class: "error", role: "alert" }, h("p", { class: "error-title" }, "Couldn't load the settings"), h("p", {}, toIpcError(raw).message))),
    );
  };
  refresh();
  return { element, refresh };
}
