// The officer's page: uploads, jobs, transcript view. No framework, no build step; the DOM is built with
// textContent only (transcript text is never parsed as HTML), and nothing is kept in local storage.
"use strict";

const $ = (sel) => document.querySelector(sel);
const state = { me: null, jobs: [], poll: null, jobId: null, segments: [], rows: [], current: -1,
                matches: [], match: -1, player: null };

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

async function api(path, opts = {}, renewed = false) {
  const bearer = toexAuth.header();  // signin.js: Azure's token ({} locally)
  const resp = await fetch(path, { credentials: "same-origin", ...opts,
    headers: { Accept: "application/json", ...bearer, ...(opts.headers || {}) } });
  if (resp.status === 401 && !renewed && toexAuth.signedIn &&  // renewed meanwhile, or renew it now
      (toexAuth.header().Authorization !== bearer.Authorization || await toexAuth.renew())) return api(path, opts, true);
  const type = resp.headers.get("content-type") || "";
  const body = type.includes("json") ? await resp.json() : null;
  if (!resp.ok) {
    const err = new Error((body && (body.detail || body.title)) || `HTTP ${resp.status}`);
    err.status = resp.status;
    throw err;
  }
  return body;
}

function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  return `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}:${String(r).padStart(2, "0")}`;
}

function duration(seconds) {
  if (!isFinite(seconds) || seconds < 0) return "";
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const m = Math.floor(seconds / 60);
  return m < 60 ? `${m} min ${Math.round(seconds % 60)} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

function bytes(n) {
  const u = ["bytes", "KB", "MB", "GB"];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return `${i ? n.toFixed(1) : n} ${u[i]}`;
}

// ---------------------------------------------------------------------------------------------- start
async function start() {
  try {
    state.me = await api("/api/v1/me");
  } catch (e) {
    // in Azure, sign in with Entra ID (signin.js) and ask again; locally the printed link is the way in
    const why = e.status === 401 ? await toexAuth.signIn().then((ok) => (ok ? "" : null), (err) => err.message) : null;
    if (why === "") state.me = await api("/api/v1/me").catch(() => null);
    if (!state.me) {
      $("#main").replaceChildren(el("p", { class: "error", role: "alert", text: why
        ? `Sign-in failed: ${why}. Reload the page to try again.`
        : "Not signed in: open the link that `toex web` printed when it started." }));
      return;
    }
  }
  $("#who").textContent = `Signed in as ${state.me.userId} (force: ${state.me.forceId})`;
  const langs = Object.entries(state.me.languages).sort((a, b) => a[1].localeCompare(b[1]));
  for (const [code, name] of langs) {
    $("#opt-language").append(el("option", { value: code, text: name }));
    $("#opt-translate").append(el("option", { value: code, text: name }));
  }
  if ((state.me.roles || []).includes("Transcribe.ForceWide")) $("#scope-row").hidden = false;
  setUpUploads();
  $("#all-jobs").addEventListener("change", refreshJobs);
  window.addEventListener("hashchange", route);
  route();
}

function route() {
  const m = location.hash.match(/^#\/jobs\/([\w.:-]+)$/);
  clearTimeout(state.poll);
  if (m) { showJob(m[1]); return; }
  state.jobId = null;
  if (state.player) { state.player.pause(); }
  $("#view-job").hidden = true;
  $("#view-home").hidden = false;
  document.title = "Jobs – TOEX Transcribe & Translate";
  refreshJobs();
}

// ---------------------------------------------------------------------------------------------- uploads
let chosen = [];

function setUpUploads() {
  const drop = $("#drop"), input = $("#files");
  const add = (files) => {
    chosen = chosen.concat(Array.from(files));
    $("#chosen").replaceChildren(...chosen.map((f) => el("li", { text: `${f.name} (${bytes(f.size)})` })));
    $("#upload-button").disabled = chosen.length === 0;
  };
  input.addEventListener("change", () => { add(input.files); input.value = ""; });
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); add(e.dataTransfer.files); });
  $("#upload-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const files = chosen;
    chosen = [];
    $("#chosen").replaceChildren();
    $("#upload-button").disabled = true;
    const options = readOptions();
    for (const f of files) uploadFile(f, options);
  });
}

function readOptions() {
  const v = (id) => $(id).value.trim();
  return { language: v("#opt-language"), translate_to: v("#opt-translate"), speakers: v("#opt-speakers"),
           case_ref: v("#opt-case"), exhibit_ref: v("#opt-exhibit"),
           persons_present: v("#opt-persons").replace(/\s*[\r\n]+\s*/g, "; ") };  // a name a line, or "; " between
}

// ---------------------------------------------------------------------------------------------- jobs
const STAGES = { queued: "Waiting", probing: "Reading the file", planning: "Finding speech",
  transcribing: "Transcribing", merging: "Joining parts", diarizing: "Telling speakers apart",
  translating: "Translating", rendering: "Writing documents",
  storing: "Saving", notifying: "Finishing", done: "Done" };

async function refreshJobs() {
  clearTimeout(state.poll);
  if (state.jobId) return;
  try {
    // need to know is the API's: one's own jobs, or the force's with the force-wide role
    const data = await api(`/api/v1/jobs?limit=200${$("#all-jobs").checked ? "&scope=force" : ""}`);
    state.jobs = data.jobs;
    renderJobs();
  } catch (e) { /* shown on the next poll */ }
  const busy = state.jobs.some((j) => j.status === "queued" || j.status === "running");
  state.poll = setTimeout(refreshJobs, busy ? 1500 : 5000);
}

function timing(job) {
  const start = Date.parse(job.created_at), last = Date.parse(job.updated_at);
  if (["succeeded", "failed", "cancelled"].includes(job.status)) return `took ${duration((last - start) / 1000)}`;
  const elapsed = (Date.now() - start) / 1000, pct = job.progress.percent;
  const left = pct > 5 ? elapsed * (100 - pct) / pct : NaN;
  return `${duration(elapsed)} so far${isFinite(left) ? `, about ${duration(left)} left` : ""}`;
}

function statusText(job) {
  if (job.status === "failed") return `Failed: ${job.error ? job.error.message : "unknown reason"}`;
  if (job.status === "cancelled") return "Cancelled";
  if (job.status === "succeeded") return "Finished";
  return STAGES[job.progress.stage] || job.progress.stage;
}

function renderJobs() {
  // the table is rebuilt on every poll: keep the keyboard user's place (the focused control) across it
  const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.key : null;
  const jobs = state.jobs;
  $("#no-jobs").hidden = jobs.length > 0;
  $("#jobs tbody").replaceChildren(...jobs.map((job) => {
    const name = job.source.name;
    const open = job.status === "succeeded"
      ? el("a", { href: `#/jobs/${job.job_id}`, text: name, "data-key": `${job.job_id}:open` }) : el("span", { text: name });
    const actions = el("td", { class: "actions" });
    if (job.status === "failed" || job.status === "cancelled") {
      actions.append(el("button", { type: "button", text: "Retry", "aria-label": `Retry ${name}`, "data-key": `${job.job_id}:retry`,
        onclick: () => act(job, "retry") }));
    }
    if (job.status === "queued" || job.status === "running") {
      actions.append(el("button", { type: "button", text: "Cancel", "aria-label": `Cancel ${name}`, "data-key": `${job.job_id}:cancel`,
        onclick: () => act(job, "cancel") }));
    }
    return el("tr", { "data-job": job.job_id, "data-status": job.status },
      el("td", {}, open),
      el("td", { text: new Date(job.created_at).toLocaleString("en-GB") }),
      el("td", { class: `status-${job.status}`, text: statusText(job) }),
      el("td", {}, el("progress", { max: "100", value: String(job.progress.percent),
        "aria-label": `Progress of ${name}` }), ` ${job.progress.percent}%`),
      el("td", { text: timing(job) }),
      actions);
  }));
  if (focused) {
    const again = document.querySelector(`#jobs [data-key="${CSS.escape(focused)}"]`);
    if (again) again.focus();
  }
}

async function act(job, what) {
  try { await api(`/api/v1/jobs/${job.job_id}/${what}`, { method: "POST" }); }
  catch (e) { alert(`Could not ${what}: ${e.message}`); }
  refreshJobs();
}

// ---------------------------------------------------------------------------------------------- transcript
async function showJob(jobId) {
  state.jobId = jobId;
  $("#view-home").hidden = true;
  $("#view-job").hidden = false;
  $("#lines").replaceChildren();
  $("#record").replaceChildren();
  $("#downloads").replaceChildren();
  $("#player-box").replaceChildren();
  $("#job-state").textContent = "Loading…";
  $("#h-job").focus();
  let res;
  try {
    res = await api(`/api/v1/jobs/${jobId}/results`);
  } catch (e) {
    $("#job-state").textContent = e.status === 404 ? "No such job (or not one of your force's)."
      : e.status === 409 ? "This job has no transcript yet." : `Could not load the transcript: ${e.message}`;
    $("#job-state").className = "error";
    return;
  }
  if (state.jobId !== jobId) return;
  $("#job-state").textContent = "";
  $("#job-state").className = "";
  if (res.document) renderDocument(res);  // documents.js: a document translation job, side by side
  else { documentHead(null); renderTranscript(res); }
}

function renderTranscript(res) {
  const t = res.transcript, up = res.upload || {}, rec = res.record || {}, links = res.links || {};
  const names = state.me.languages;
  document.title = `${t.source.name} – TOEX Transcribe & Translate`;
  $("#h-job").textContent = `Transcript: ${t.source.name}`;
  const fields = [
    ["Source", t.source.name], ["SHA-256", t.source.sha256], ["Duration", clock(t.source.duration_s)],
    ["Model", `${t.model.name} (${t.model.precision}), SHA-256 ${t.model.sha256.slice(0, 16)}…`],
    ["Spoken language", `${names[t.language] || t.language}`],
    ["Translation", t.translation ? `${names[t.translation.language] || t.translation.language} (${t.translation.route})` : "none"],
    ["Case reference", rec.case_reference || "—"], ["Exhibit reference", rec.exhibit_reference || "—"],
    ["Persons present", (rec.persons_present || []).join("; ") || "—"], ["Speakers expected", up.speakers || "—"],
  ];
  $("#record").replaceChildren(...fields.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: v })]));
  const downloads = res.downloads || links;  // the audited route of each format (it redirects to the file)
  for (const fmt of ["docx", "txt", "srt", "vtt", "json"]) {
    if (downloads[fmt]) $("#downloads").append(el("a", { href: downloads[fmt], download: "", text: fmt.toUpperCase(),
      "aria-label": `Download ${fmt.toUpperCase()}` }));
  }
  const player = showPlayer(res);  // player.js: the original, or the pipeline's audio rendition
  state.player = player;
  player.addEventListener("timeupdate", follow);
  player.addEventListener("seeked", follow);
  player.addEventListener("error", () => {
    $("#job-state").textContent = "This browser cannot play this recording's format: the transcript and " +
      "downloads are still here; play the original in your usual player.";
  });
  toexSpeakers.show(state.jobId, res);  // names first: the lines show them
  buildLines(t);
  toexAudit.show(state.jobId);
}

function translationsBySegment(t) {
  const by = new Map();
  if (!t.translation) return by;
  for (const s of t.translation.segments) {
    let target = s.source_id;
    if (target === null || target === undefined) {  // whisper-translate: place it by time
      const hit = t.segments.find((o) => o.start <= s.start + 0.01 && s.start < o.end) ||
                  t.segments.reduce((best, o) => (!best || Math.abs(o.start - s.start) < Math.abs(best.start - s.start) ? o : best), null);
      target = hit ? hit.id : null;
    }
    if (target === null) continue;
    by.set(target, (by.has(target) ? by.get(target) + " " : "") + s.text.trim());
  }
  return by;
}

function buildLines(t) {
  const tr = translationsBySegment(t);
  const withheld = t.translation ? t.translation.skipped || [] : [];
  const hasTr = !!t.translation;
  $("#tr-head").hidden = !hasTr;
  $("#lines-head").classList.toggle("no-tr", !hasTr);
  const items = t.segments.map((s) => ({ kind: "seg", start: s.start, end: s.end, seg: s }))
    .concat((t.skipped || []).map((g) => ({ kind: "gap", start: g.start, end: g.end, reason: g.reason })))
    .sort((a, b) => a.start - b.start);
  state.segments = [];
  state.rows = items.map((it) => {
    const time = el("button", { type: "button", class: "time", text: clock(it.start),
      "aria-label": `Play from ${clock(it.start)}` });
    const left = el("div", {}, time);
    if (it.kind === "seg" && it.seg.speaker) {
      left.append(el("span", { class: "speaker", "data-label": it.seg.speaker, text: toexSpeakers.name(it.seg.speaker) }));
    } else if (it.kind === "seg" && it.seg.overlap) {  // schema 1.4: two speakers at once, one line each
      for (const label of it.seg.speakers) {
        left.append(el("span", { class: "speaker", "data-label": label, text: toexSpeakers.name(label) }));
      }
      left.append(el("span", { class: "speaker", text: "(overlapping)" }));
    }
    const row = el("li", { class: `row${hasTr ? "" : " no-tr"}${it.kind === "gap" ? " skipped" : ""}`,
                           "data-start": String(it.start) }, left);
    if (it.kind === "gap") {
      row.append(el("p", { class: "gap", text: `No text written here (${it.reason}).` }));
      if (hasTr) row.append(el("p", {}));
    } else {
      row.append(el("p", { class: "text", lang: it.seg.language || t.language, text: it.seg.text.trim() }));
      if (hasTr) {
        const text = tr.get(it.seg.id);
        const gap = withheld.find((g) => g.start < it.seg.end && it.seg.start < g.end);
        if (text) row.append(el("p", { class: "tr", lang: t.translation.language, text }));
        else if (gap) row.append(el("p", { class: "gap", text: `Translation withheld: ${gap.reason}` }));
        else row.append(el("p", { class: "tr" }));
      }
    }
    row.addEventListener("click", () => seek(it.start));
    state.segments.push(it);
    return row;
  });
  $("#lines").replaceChildren(...state.rows);
  state.current = -1;
  $("#search").value = "";
  search();
}

function seek(seconds) {
  const p = state.player;
  if (!p) return;
  p.currentTime = seconds + 0.001;
  p.play().catch(() => {});
  follow();
}

function follow() {
  const p = state.player, t = p.currentTime;
  let lo = 0, hi = state.segments.length - 1, at = -1;
  while (lo <= hi) {  // the last line starting at or before t
    const mid = (lo + hi) >> 1;
    if (state.segments[mid].start <= t) { at = mid; lo = mid + 1; } else hi = mid - 1;
  }
  if (at === state.current) return;
  if (state.current >= 0) { state.rows[state.current].classList.remove("current"); state.rows[state.current].removeAttribute("aria-current"); }
  state.current = at;
  if (at >= 0) {
    const row = state.rows[at];
    row.classList.add("current");
    row.setAttribute("aria-current", "true");
    if ($("#follow").checked) row.scrollIntoView({ block: "nearest" });
  }
}

// Search: matches are marked by splitting text nodes; text stays text (no HTML is built from it).
function search() {
  const q = $("#search").value.trim().toLocaleLowerCase();
  state.matches = [];
  state.match = -1;
  for (const p of document.querySelectorAll("#lines p.text, #lines p.tr")) {
    const text = p.textContent;
    p.replaceChildren(text);
    if (!q) continue;
    const lower = text.toLocaleLowerCase();
    let i = 0, at;
    const parts = [];
    while ((at = lower.indexOf(q, i)) >= 0) {
      parts.push(text.slice(i, at));
      const m = el("mark", { text: text.slice(at, at + q.length) });
      parts.push(m);
      state.matches.push(m);
      i = at + q.length;
    }
    if (parts.length) { parts.push(text.slice(i)); p.replaceChildren(...parts); }
  }
  $("#search-count").textContent = q ? `${state.matches.length} match${state.matches.length === 1 ? "" : "es"}` : "";
}

function step(by) {
  if (!state.matches.length) return;
  if (state.match >= 0) state.matches[state.match].classList.remove("active");
  state.match = (state.match + by + state.matches.length) % state.matches.length;
  const m = state.matches[state.match];
  m.classList.add("active");
  m.scrollIntoView({ block: "center" });
  $("#search-count").textContent = `${state.match + 1} of ${state.matches.length}`;
}

document.addEventListener("DOMContentLoaded", () => {
  $("#search").addEventListener("input", search);
  $("#search").addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); step(e.shiftKey ? -1 : 1); } });
  $("#search-next").addEventListener("click", () => step(1));
  $("#search-prev").addEventListener("click", () => step(-1));
  start();
});
