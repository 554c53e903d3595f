// One upload, in Azure's two steps: a slot for one new blob name (POST /api/v1/uploads), then blocks
// staged a few at a time, resumed from the slot's own block list after a lost connection, and a commit
// carrying the SHA-256 (computed in hash-worker.js while the blocks go out) and the options as metadata.
// Uses el, api, $ and refreshJobs from app.js.
"use strict";

const PARALLEL_BLOCKS = 3;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function putBlock(url, id, blob) {
  const resp = await fetch(`${url}?comp=block&blockid=${encodeURIComponent(id)}`,
                           { method: "PUT", body: blob, credentials: "same-origin" });
  if (!resp.ok) { const e = new Error(`block refused (HTTP ${resp.status})`); e.status = resp.status; throw e; }
}

// One file: ask for a slot, hash and stage its blocks (a few in parallel), resume after a lost
// connection from the slot's own block list, then commit with the SHA-256 and options as metadata.
async function uploadFile(file, options) {
  const bar = el("progress", { max: "100", value: "0", "aria-label": `Upload of ${file.name}` });
  const note = el("span", { class: "note", text: "Starting…" });
  const item = el("li", { "data-name": file.name }, el("strong", { text: file.name }), " ", note, bar);
  $("#uploads").prepend(item);
  const say = (t, cls) => { note.textContent = t; note.className = cls || "note"; };
  try {
    const slot = await api("/api/v1/uploads", { method: "POST", headers: { "Content-Type": "application/json" },
                                                body: JSON.stringify({ name: file.name, size: file.size }) });
    const size = slot.blockSize, count = Math.max(1, Math.ceil(file.size / size));
    const ids = Array.from({ length: count }, (_, i) => btoa(`block-${String(i).padStart(6, "0")}`));
    // the SHA-256 is computed in a worker while the blocks go out; both read the file, neither holds it
    const worker = new Worker("/hash-worker.js");
    let hashed = 0;
    const digest = new Promise((resolve, reject) => {
      worker.onmessage = (e) => {
        if (e.data.error) reject(new Error(e.data.error));
        else if (e.data.sha256) resolve(e.data.sha256);
        else { hashed = e.data.hashed; show(); }
      };
      worker.onerror = () => reject(new Error("the file could not be read"));
    });
    let sent = 0;
    const show = () => { bar.value = Math.round((Math.min(sent, hashed) / file.size) * 100); };
    const inFlight = new Set();
    let failures = 0;
    const send = async (i) => {
      const blob = file.slice(i * size, Math.min(file.size, (i + 1) * size));
      for (;;) {
        try {
          await putBlock(slot.uploadUrl, ids[i], blob);
          sent += blob.size; show();
          return;
        } catch (e) {
          if (e.status && e.status < 500) throw e;
          failures++;
          say("Connection lost: resuming…");
          await sleep(Math.min(8000, 500 * 2 ** Math.min(failures, 4)));
          // the slot says which blocks arrived; only the missing ones are sent again
          const list = await api(`${slot.uploadUrl}?comp=blocklist`).catch(() => null);
          if (list && list.uncommittedBlocks.some((b) => b.name === ids[i] && b.size === blob.size)) {
            sent += blob.size; show();
            return;
          }
        }
      }
    };
    say("Uploading…");
    for (let i = 0; i < count; i++) {
      worker.postMessage({ blob: file.slice(i * size, Math.min(file.size, (i + 1) * size)) });
      const p = send(i).finally(() => inFlight.delete(p));
      inFlight.add(p);
      while (inFlight.size >= PARALLEL_BLOCKS) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    say("Checking the file's SHA-256…");
    worker.postMessage({ done: true });
    const sha = await digest.finally(() => worker.terminate());
    say("Checking and starting…");
    const meta = { "x-ms-meta-sha256": sha, "x-ms-meta-original_name": encodeURIComponent(file.name) };
    for (const [k, v] of Object.entries(options)) if (v) meta[`x-ms-meta-${k}`] = encodeURIComponent(v);
    const outcome = await api(`${slot.uploadUrl}?comp=blocklist`, { method: "PUT",
      headers: { "Content-Type": "application/json", ...meta }, body: JSON.stringify({ blocks: ids }) });
    bar.value = 100;
    if (outcome.job && outcome.job.status === "failed") say(`Not accepted: ${outcome.job.error.message}`, "error");
    else say(`Uploaded (SHA-256 ${sha.slice(0, 12)}…); ${outcome.action === "duplicate" ? "this file was already submitted" : "queued"}.`);
    item.dataset.sha256 = sha;
    refreshJobs();
  } catch (e) {
    say(`Upload failed: ${e.message}`, "error");
  }
}

