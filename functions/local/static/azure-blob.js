// The upload's Azure branch (a slot with protocol "azure-blob", functions/upload_sas.py): blocks go
// straight to Blob storage with the slot's write-only SAS (Put Block), the commit is Put Block List with
// the XML block list, If-None-Match: * and the metadata; the SAS is renewed from renewUrl when it has
// under 5 minutes left or a block is refused with 403; the staged blocks come from blockListUrl (the API,
// with the officer's token: the SAS cannot read). Storage never sees the bearer token, the API never the
// file. The commit answers no job: the blob event starts it, so the job is looked up in the jobs list.
// Uses api from app.js.
"use strict";

const toexAzureBlob = (() => {
  const VERSION = "2021-12-02";  // x-ms-version of every blob request
  const RENEW_BEFORE_MS = 5 * 60 * 1000;
  const FIND_JOB_MS = 10 * 60 * 1000;
  const renewing = new WeakMap();  // slot -> the renewal in flight (parallel blocks share one)

  const is = (slot) => !!slot && slot.protocol === "azure-blob";

  function renew(slot) {
    if (!renewing.has(slot)) {
      renewing.set(slot, api(slot.renewUrl, { method: "POST" }).then((fresh) => {
        slot.uploadUrl = fresh.uploadUrl;
        slot.expiresAt = fresh.expiresAt;
        slot.renewals = (slot.renewals || 0) + 1;
      }).finally(() => renewing.delete(slot)));
    }
    return renewing.get(slot);
  }

  async function fresh(slot) {
    if (renewing.has(slot)) await renewing.get(slot);
    else if (Date.parse(slot.expiresAt) - Date.now() < RENEW_BEFORE_MS) await renew(slot);
  }

  async function blobRequest(slot, query, init) {
    await fresh(slot);
    const send = () => fetch(`${slot.uploadUrl}&${query}`, { method: "PUT", credentials: "omit", ...init,
      headers: { "x-ms-version": VERSION, ...(init.headers || {}) } });
    let resp = await send();
    if (resp.status === 403) {  // the SAS ran out (a sleeping laptop, a slow link): sign the same name again
      await renew(slot);
      resp = await send();
    }
    return resp;
  }

  async function putBlock(slot, id, blob) {
    const resp = await blobRequest(slot, `comp=block&blockid=${encodeURIComponent(id)}`, { body: blob });
    if (!resp.ok) { const e = new Error(`block refused (HTTP ${resp.status})`); e.status = resp.status; throw e; }
  }

  // The blocks staged so far, in the local server's JSON shape ({uncommittedBlocks: [{name, size}]}).
  const blockList = (slot) => api(slot.blockListUrl);

  const xmlText = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

  // Put Block List: the blocks in file order, create-only, with the metadata (x-ms-meta-*).
  async function commit(slot, ids, meta, contentType) {
    const body = `<?xml version="1.0" encoding="utf-8"?><BlockList>${ids.map((id) => `<Latest>${xmlText(id)}</Latest>`).join("")}</BlockList>`;
    const headers = { "Content-Type": "application/xml", "If-None-Match": "*", ...meta };
    if (contentType) headers["x-ms-blob-content-type"] = contentType;
    const resp = await blobRequest(slot, "comp=blocklist", { body, headers });
    if (resp.status === 409 || resp.status === 412) {
      const e = new Error("this upload was committed already"); e.status = 409; throw e;
    }
    if (!resp.ok) { const e = new Error(`the commit was refused (HTTP ${resp.status})`); e.status = resp.status; throw e; }
  }

  // The job the blob event starts for this upload (its source is this blob: every slot's blob name is new,
  // so its job is too): {action, job}, or {action: "waiting"} after a while. A job refused at intake is
  // found as well, failed with its reason.
  async function findJob(slot, onWait) {
    const until = Date.now() + FIND_JOB_MS;
    while (Date.now() < until) {
      const data = await api("/api/v1/jobs?limit=200").catch(() => null);
      const job = data && data.jobs.find((j) => j.source && j.source.ref === slot.blobName);
      if (job) return { action: "started", job };
      if (onWait) onWait();
      await new Promise((r) => setTimeout(r, 1500));
    }
    return { action: "waiting", job: null };
  }

  return { is, putBlock, blockList, commit, findJob, renew };
})();
