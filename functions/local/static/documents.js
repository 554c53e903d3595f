// A document translation job in the transcript view: each passage of the source beside its English, line for
// line, withheld passages marked with their reason, the record's header and the outputs' downloads. Built
// from translation.json (results.document) with textContent only. Uses el, $, state and search from app.js.
"use strict";

const WITHHELD = { no_model: "no translation model for this language",
                   language_unknown: "the language could not be identified" };
const KEPT = { kept_target_language: "already in the target language: kept as written",
               kept_no_text: "no words to translate: kept as written" };
const DOC_OUTPUTS = [["translated", "Translated document"], ["bilingual", "Bilingual DOCX"], ["report", "Record (JSON)"]];

// A passage's place as the record (translation.json) numbers it: "line 3", "sheet Sheet1, cell B2".
function placeOf(location) {
  const parts = Object.entries(location || {}).filter(([k]) => k !== "kind" && k !== "part")
    .map(([k, v]) => `${k} ${v}`);
  return parts.join(", ") || (location && location.kind) || "";
}

function sameLocation(a, b) { return JSON.stringify(a) === JSON.stringify(b); }

function langName(code) { return code ? (state.me.languages || {})[code] || code : "not identified"; }

// The lines' column heads: a document's passages have a place, not a time (called for both kinds of job).
function documentHead(target) {
  $("#lines-head").firstElementChild.textContent = target ? "Where" : "Time";
  $("#tr-head").textContent = target ? `Translation (${langName(target)})` : "Translation";
  $("label[for=search]").textContent = target ? "Search the document" : "Search the transcript";
  $("#follow").closest("label").hidden = !!target;  // no player: no current line to follow
}

function renderDocument(res) {
  const d = res.document, rec = res.record || {}, links = res.links || {}, lang = langName;
  state.player = null;
  document.title = `${d.source.name} – TOEX Transcribe & Translate`;
  $("#h-job").textContent = `Document: ${d.source.name}`;
  const found = Object.keys(d.languages || {}).map(lang).join(", ") || "none";
  const fields = [
    ["Source", d.source.name], ["SHA-256", d.source.sha256], ["Format", d.source.format],
    ["Model", `${d.model.name}${d.model.precision ? ` (${d.model.precision})` : ""}`],
    ["Languages found", found], ["Translated into", lang(d.target_language)],
    ["Characters translated", String(d.characters_translated)],
    ["Passages withheld", String((d.skipped || []).length)], ["Warnings", String((d.warnings || []).length)],
    ["Case reference", rec.case_reference || "—"], ["Exhibit reference", rec.exhibit_reference || "—"],
  ];
  $("#record").replaceChildren(...fields.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: v })]));
  const downloads = res.downloads || links;  // the audited route of each output (it redirects to the file)
  for (const [key, label] of DOC_OUTPUTS) {
    if (downloads[key]) $("#downloads").append(el("a", { href: downloads[key], download: "", text: label,
      "aria-label": `Download the ${label.toLowerCase()}` }));
  }
  $("#player-box").replaceChildren();
  $("#tr-head").hidden = false;
  $("#lines-head").classList.remove("no-tr");
  documentHead(d.target_language);
  state.segments = [];
  state.rows = d.segments.map((s) => documentRow(s, d));
  $("#lines").replaceChildren(...state.rows);
  $("#search").value = "";
  search();
  toexSpeakers.show(state.jobId, res);  // a document has no speakers: the naming panel stays empty
  toexAudit.show(state.jobId);
}

function documentRow(s, d) {
  const row = el("li", { class: "row doc", "data-status": s.status },
    el("div", {}, el("span", { class: "place", text: placeOf(s.location) })),
    el("p", { class: "text", lang: s.language || undefined, text: s.source }));
  const gap = (d.skipped || []).find((g) => sameLocation(g.location, s.location));
  if (s.status === "translated") {
    row.append(el("p", { class: "tr", lang: d.target_language, text: s.translation }));
  } else if (gap || s.status === "kept_no_model") {
    const why = WITHHELD[gap ? gap.reason : "no_model"] || (gap && gap.reason) || "withheld";
    row.classList.add("withheld");
    row.append(el("p", { class: "gap", text: `Translation withheld: ${why}${gap && gap.language ? ` (${langName(gap.language)})` : ""}.` }));
  } else {
    row.append(el("div", {}, el("p", { class: "tr", lang: d.target_language, text: s.translation }),
      el("p", { class: "hint", text: KEPT[s.status] || s.status })));
  }
  const warned = (d.warnings || []).filter((w) => sameLocation(w.location, s.location));
  if (warned.length) {
    row.lastElementChild.append(el("span", { class: "warn",
      text: ` Check this passage: ${warned.map((w) => w.code.replaceAll("_", " ")).join(", ")}.` }));
  }
  return row;
}
