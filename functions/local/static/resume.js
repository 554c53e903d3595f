// Resume across a page reload. A page cannot reopen a file by itself, so the officer chooses the same file
// again; the server then hands back the caller's unfinished slot for that name and size (POST /api/v1/uploads
// with resume), and only the blocks it does not hold with this content are sent. Each block is named by its
// index and its own SHA-256 (WebCrypto), so a kept block is reused only when its bytes are this file's; the
// whole file's SHA-256 is still checked at the commit. Nothing is kept in the browser's storage.
// Uses api from app.js.
"use strict";

// Fixed length for every block of a blob (Azure's rule): 6 digits, "-", 40 hex digits = 47 bytes.
async function blockId(index, blob) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", await blob.arrayBuffer()));
  const hex = Array.from(digest.slice(0, 20), (b) => b.toString(16).padStart(2, "0")).join("");
  return btoa(`${String(index).padStart(6, "0")}-${hex}`);
}

// {slot, kept: Map(block id -> size)}: an unfinished upload of this file (unless `fresh`), else a new slot.
// A kept slot whose first listed block is not this file's block at that index held another file of that
// name and size: it is not used.
async function openSlot(file, fresh) {
  const ask = (resume) => api("/api/v1/uploads", { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ name: file.name, size: file.size, resume }) });
  const slot = await ask(!fresh);
  const kept = new Map();
  if (!slot.resumed) return { slot, kept };
  const list = await blockList(slot);
  for (const b of list.uncommittedBlocks) kept.set(b.name, b.size);
  if (!kept.size) return { slot, kept };
  const [name, size] = kept.entries().next().value;
  const index = Number(atob(name).slice(0, 6)), bs = slot.blockSize;
  const block = file.slice(index * bs, Math.min(file.size, (index + 1) * bs));
  if (!(index >= 0) || block.size !== size || (await blockId(index, block)) !== name) {
    return { slot: await ask(false), kept: new Map() };
  }
  return { slot, kept };
}

// The blocks a slot holds ({uncommittedBlocks: [{name, size}]}): toex web answers on the upload URL; in
// Azure the SAS cannot read, so the API's blockListUrl answers (azure-blob.js), with the same names.
function blockList(slot) {
  return toexAzureBlob.is(slot) ? toexAzureBlob.blockList(slot) : api(`${slot.uploadUrl}?comp=blocklist`);
}
