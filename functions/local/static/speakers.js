// Speaker names in the transcript view: one labelled input per speaker label (S1, S2, ...), saved with
// PUT /api/v1/jobs/{id}/speakers. The server writes a new version of the names overlay and renders the
// downloads again; transcript.json stays the machine's. Names are set with textContent only.
// Uses el, api and $ from app.js; app.js calls toexSpeakers.show(jobId, res) and toexSpeakers.name(label).
"use strict";

const toexSpeakers = (() => {
  let names = {}, jobId = null;

  const name = (label) => names[label] || label;

  function relabel() {
    for (const span of document.querySelectorAll("#lines .speaker[data-label]")) {
      const label = span.dataset.label;
      span.textContent = name(label);
      span.title = names[label] ? `${label} (machine label)` : "";
    }
  }

  function describe(view) {
    const last = view.history[view.history.length - 1];
    return last ? `Names version ${view.version}, last changed by ${last.by} at ${last.at.replace("T", " ").replace(/\.\d+Z$|Z$/, " UTC")}.`
      : "No names given yet: the machine's labels are shown.";
  }

  function render(view) {
    names = { ...view.names };
    const box = $("#speakers-box");
    box.hidden = view.labels.length === 0;
    const fields = view.labels.map((label) => el("div", { class: "speaker-field" },
      el("label", { for: `speaker-${label}`, text: `Name for ${label}` }),
      el("input", { id: `speaker-${label}`, type: "text", maxlength: "80", autocomplete: "off",
                    "data-label": label, value: names[label] || "" })));
    $("#speaker-fields").replaceChildren(...fields);
    $("#speaker-version").textContent = describe(view);
    relabel();
  }

  async function save(e) {
    e.preventDefault();
    const changed = {};
    for (const input of document.querySelectorAll("#speaker-fields input[data-label]")) {
      const value = input.value.trim();
      if (value !== (names[input.dataset.label] || "")) changed[input.dataset.label] = value || null;
    }
    const status = $("#speaker-status");
    if (!Object.keys(changed).length) { status.textContent = "Nothing to save: no name changed."; return; }
    status.textContent = "Saving…";
    status.className = "";
    try {
      const res = await api(`/api/v1/jobs/${jobId}/speakers`, { method: "PUT",
        headers: { "Content-Type": "application/json" }, body: JSON.stringify({ names: changed }) });
      render(res.speakers);
      status.textContent = "Saved. The downloads now carry these names.";
      if (typeof toexAudit !== "undefined") toexAudit.refresh();
    } catch (err) {
      status.textContent = `Not saved: ${err.message}`;
      status.className = "error";
    }
  }

  function show(id, res) {
    jobId = id;
    $("#speaker-status").textContent = "";
    render(res.speakers || { labels: [], names: {}, version: 0, history: [] });
  }

  document.addEventListener("DOMContentLoaded", () => $("#speaker-form").addEventListener("submit", save));
  return { show, name };
})();
