// One upload, in Azure's two steps: a slot for one new blob name (POST /api/v1/uploads), then blocks
// staged a few at a time, resumed from the slot's own block list after a lost connection, and a commit
// carrying the SHA-256 (computed in hash-worker.js while the blocks go out) and the options as metadata.
// A slot with protocol "azure-blob" goes straight to Blob storage (azure-blob.js); others to toex web.
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
async function uploadFile(file, options, fresh = false) {
  const bar = el("progress", { max: "100", value: "0", "aria-label": `Upload of ${file.name}` });
  const note = el("span", { class: "note", text: "Starting…" });
  const item = el("li", { "data-name": file.name }, el("strong", { text: file.name }), " ", note, bar);
  $("#uploads").prepend(item);
  const say = (t, cls) => { note.textContent = t; note.className = cls || "note"; };
  let slot = null, kept, azure = false;
  try {
    ({ slot, kept } = await openSlot(file, fresh));  // resume.js: an unfinished upload of this file, or a new one
    azure = toexAzureBlob.is(slot);
    const size = slot.blockSize, count = Math.max(1, Math.ceil(file.size / size));
    const ids = new Array(count);  // named by index and content (resume.js), as each block is read
    let reused = 0;
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
      ids[i] = await blockId(i, blob);
      if (kept.get(ids[i]) === blob.size) { sent += blob.size; reused++; show(); return; }  // held since before a reload
      for (;;) {
        try {
          if (azure) await toexAzureBlob.putBlock(slot, ids[i], blob);
          else await putBlock(slot.uploadUrl, ids[i], blob);
          sent += blob.size; show();
          return;
        } catch (e) {
          if (e.status && e.status < 500) throw e;
          failures++;
          say("Connection lost: resuming…");
          await sleep(Math.min(8000, 500 * 2 ** Math.min(failures, 4)));
          // the slot says which blocks arrived; only the missing ones are sent again
          const list = await blockList(slot).catch(() => null);
          if (list && list.uncommittedBlocks.some((b) => b.name === ids[i] && b.size === blob.size)) {
            sent += blob.size; show();
            return;
          }
        }
      }
    };
    say(slot.resumed ? "Resuming an earlier upload of this file…" : "Uploading…");
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
    let outcome;
    if (azure) {  // the blob event starts the job: find it in the jobs list
      await toexAzureBlob.commit(slot, ids, meta, file.type);
      say(`Uploaded (SHA-256 ${sha.slice(0, 12)}…${reused ? `; resumed, ${reused} of ${count} blocks were already there` : ""}); waiting for the job to start…`);
      outcome = await toexAzureBlob.findJob(slot);
      if (outcome.job) item.dataset.job = outcome.job.job_id;
    } else {
      outcome = await api(`${slot.uploadUrl}?comp=blocklist`, { method: "PUT",
        headers: { "Content-Type": "application/json", ...meta }, body: JSON.stringify({ blocks: ids }) });
    }
    bar.value = 100;
    if (outcome.job && outcome.job.status === "failed") say(`Not accepted: ${outcome.job.error.message}`, "error");
    else say(`Uploaded (SHA-256 ${sha.slice(0, 12)}…${reused ? `; resumed, ${reused} of ${count} blocks were already there` : ""}); ${outcome.action === "duplicate" ? "this file was already submitted" : outcome.action === "waiting" ? "the job will appear in the list below" : "queued"}.`);
    item.dataset.sha256 = sha;
    refreshJobs();
  } catch (e) {
    if (slot && slot.resumed && e.status === 413 && !fresh) { item.remove(); return uploadFile(file, options, true); }
    say(`Upload failed: ${e.message}`, "error");
  }
}

