// A scripted OpenAI-compatible model server on 127.0.0.1 for the end-to-end test: `GET /v1/models`
// and `POST /v1/chat/completions`, answered as JSON or, when the request asks for a stream, as
// server-sent events (`data:` chunks, a usage chunk, `data: [DONE]`). It recognises the engine's
// prompts (crates/engine/src/prompts.rs) by their system message: a plan of three steps (step 2
// uses step 1's answer as #1), short sub-answers read from the evidence it is sent, and a final
// answer whose [n] markers name the evidence ids of the passages that state each fact.
import { createServer } from "node:http";
import { FACTS } from "./fixtures.mjs";

const MODELS = ["scripted-research-1", "scripted-small"];

export const PLAN = {
  chain: [
    {
      id: 1,
      action: "knowledge_base",
      sub_question: "Who designed the Port Aster lighthouse?",
      depends_on: [],
      missing: true,
      guess_answer: "",
    },
    { id: 2, action: "knowledge_base", sub_question: "Where was #1 born?", depends_on: [1], missing: false, guess_answer: "Szeged" },
    {
      id: 3,
      action: "knowledge_base",
      sub_question: "When was the lamp of the Port Aster lighthouse first lit?",
      depends_on: [],
      missing: true,
      guess_answer: "",
    },
  ],
  final_answer: "Ines Varga designed it [1]; she was born in Szeged [2]; the lamp was first lit in 1903 [3].",
};

/** Evidence blocks of a prompt: `<evidence id="n" source="…">text</evidence>`. */
function evidence(prompt) {
  return [...prompt.matchAll(/<evidence id="(\d+)" source="[^"]*">\n([\s\S]*?)\n<\/evidence>/g)].map((m) => ({
    id: Number(m[1]),
    text: m[2],
  }));
}

const firstWith = (blocks, phrase) => blocks.find((b) => b.text.includes(phrase))?.id;

function summarize(prompt) {
  const question = /<question>([\s\S]*?)<\/question>/.exec(prompt)?.[1] ?? "";
  const blocks = evidence(prompt);
  const has = (phrase) => firstWith(blocks, phrase) !== undefined;
  if (/designed/.test(question) && has("designed by the engineer Ines Varga")) return FACTS.designer;
  if (/born/.test(question) && has("born in 1871 in Szeged")) return FACTS.birthplace;
  if (/lit\?/.test(question) && has("first lit on 1 May 1903")) return FACTS.lit;
  return "not found";
}

function answer(prompt) {
  const blocks = evidence(prompt);
  const sentences = [
    ["The Port Aster lighthouse was designed by the engineer Ines Varga", "designed by the engineer Ines Varga"],
    ["Ines Varga was born in 1871 in Szeged", "born in 1871 in Szeged"],
    ["The lamp of the Port Aster lighthouse was first lit on 1 May 1903", "first lit on 1 May 1903"],
  ];
  const out = [];
  for (const [sentence, phrase] of sentences) {
    const id = firstWith(blocks, phrase);
    if (id !== undefined) out.push(`${sentence} [${id}].`);
  }
  return out.length > 0 ? out.join(" ") : "The documents do not answer this question.";
}

const USAGE = { prompt_tokens: 120, completion_tokens: 30, total_tokens: 150 };

function purposeOf(system) {
  if (system.startsWith("You plan research")) return "plan";
  if (system.startsWith("You answer one sub-question")) return "summarize";
  if (system.startsWith("You write the final")) return "answer";
  return null;
}

async function readBody(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return Buffer.concat(chunks).toString("utf8");
}

function sendJson(res, status, value) {
  const body = JSON.stringify(value);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}

async function sendStream(res, model, content) {
  res.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache" });
  const chunk = (delta, finish) => ({
    id: "chatcmpl-e2e",
    object: "chat.completion.chunk",
    model,
    choices: [{ index: 0, delta, finish_reason: finish }],
  });
  const send = (value) => res.write(`data: ${JSON.stringify(value)}\n\n`);
  send(chunk({ role: "assistant", content: "" }, null));
  // A few words per event, paced like a model, so the page sees the answer grow.
  const words = content.split(/(?<= )/);
  for (let i = 0; i < words.length; i += 4) {
    send(chunk({ content: words.slice(i, i + 4).join("") }, null));
    await new Promise((r) => setTimeout(r, 15));
  }
  send(chunk({}, "stop"));
  send({ id: "chatcmpl-e2e", object: "chat.completion.chunk", model, choices: [], usage: USAGE });
  res.end("data: [DONE]\n\n");
}

/** Starts the server on a free port; `seen` lists the completion requests it answered. */
export async function startModelServer() {
  const seen = [];
  const server = createServer(async (req, res) => {
    try {
      if (req.method === "GET" && req.url === "/v1/models") {
        sendJson(res, 200, { object: "list", data: MODELS.map((id) => ({ id, object: "model", owned_by: "e2e" })) });
        return;
      }
      if (req.method !== "POST" || req.url !== "/v1/chat/completions") {
        sendJson(res, 404, { error: { message: `no route ${req.method} ${req.url}` } });
        return;
      }
      const body = JSON.parse(await readBody(req));
      const system = body.messages?.find((m) => m.role === "system")?.content ?? "";
      const user = body.messages?.filter((m) => m.role === "user").at(-1)?.content ?? "";
      const purpose = purposeOf(system);
      seen.push({ purpose, model: body.model, stream: body.stream === true });
      let content;
      if (purpose === "plan") content = JSON.stringify(PLAN);
      else if (purpose === "summarize") content = summarize(user);
      else if (purpose === "answer") content = answer(user);
      else {
        sendJson(res, 400, { error: { message: "unexpected request" } });
        return;
      }
      if (body.stream === true) {
        await sendStream(res, body.model, content);
        return;
      }
      sendJson(res, 200, {
        id: "chatcmpl-e2e",
        object: "chat.completion",
        model: body.model,
        choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
        usage: USAGE,
      });
    } catch (error) {
      sendJson(res, 500, { error: { message: String(error) } });
    }
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/v1`,
    models: MODELS,
    plan: PLAN,
    seen,
    close: () =>
      new Promise((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
