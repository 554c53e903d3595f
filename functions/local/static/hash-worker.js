// Hashes an upload off the page's main thread: the page posts each block (a Blob slice of the file, in
// order) and then "done"; the worker answers progress and, at the end, the SHA-256 in hex.
"use strict";
importScripts("/sha256.js");

const h = new Sha256();
let chain = Promise.resolve(), hashed = 0;

self.onmessage = (e) => {
  const msg = e.data;
  chain = chain.then(async () => {
    if (msg.blob) {
      h.update(new Uint8Array(await msg.blob.arrayBuffer()));
      hashed += msg.blob.size;
      self.postMessage({ hashed });
    } else if (msg.done) {
      self.postMessage({ sha256: h.hex() });
    }
  }).catch((err) => self.postMessage({ error: String(err) }));
};
