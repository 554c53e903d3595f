// The job's access audit trail in the transcript view: who viewed, downloaded, renamed, retried or
// cancelled it, and when (UTC), from GET /api/v1/jobs/{id}/audit. The server writes every entry; the
// page only reads them. Uses el, api and $ from app.js; app.js calls toexAudit.show(jobId).
"use strict";

const toexAudit = (() => {
  let jobId = null;
  const ACTIONS = { view: "Opened the transcript", download: "Downloaded", rename: "Named speakers",
                    retry: "Retried", cancel: "Cancelled" };

  function detail(e) {
    const m = e.detail.match(/^format=(\w+)$/);
    if (m) return m[1].toUpperCase();
    return e.detail.replace(/^overlay=v/, "names version ").replace(/^attempt=/, "attempt ");
  }

  async function refresh() {
    if (!jobId) return;
    const id = jobId;
    let trail;
    try { trail = await api(`/api/v1/jobs/${id}/audit`); }
    catch (err) { $("#audit-state").textContent = `Could not load the access record: ${err.message}`; return; }
    if (id !== jobId) return;
    $("#audit-state").textContent = !trail.entries.length ? "No access recorded yet."
      : trail.truncated ? `The first ${trail.entries.length} entries are shown; the API holds more.` : "";
    $("#audit tbody").replaceChildren(...trail.entries.map((e) => el("tr", { "data-action": e.action },
      el("td", { text: e.at.replace("T", " ").replace(/Z$/, " UTC") }),
      el("td", { text: e.user }),
      el("td", { text: ACTIONS[e.action] || e.action }),
      el("td", { text: detail(e) }))));
  }

  function show(id) {
    jobId = id;
    $("#audit tbody").replaceChildren();
    refresh();
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("#audit-refresh").addEventListener("click", refresh);
    // a download is recorded by the server as it is served: show it once the request has gone
    $("#downloads").addEventListener("click", (e) => { if (e.target.closest("a")) setTimeout(refresh, 800); });
  });
  return { show, refresh };
})();
