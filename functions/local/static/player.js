// The transcript view's player: the original where every browser plays it, else the audio rendition the
// pipeline made (results.playback, decided on the server from the probed container and codecs). The
// original is never altered; the page says which one is playing. Uses el and $ from app.js.
"use strict";

const PLAYS_AS_VIDEO = /\.(mp4|mov|m4v)$/i;  // originals a browser shows as video when it plays them

function showPlayer(res) {
  const links = res.links || {}, playback = res.playback || { playable_original: true };
  const rendition = !playback.playable_original && links.audio ? playback.rendition : null;
  const name = (res.transcript && res.transcript.source.name) || "";
  const video = !rendition && PLAYS_AS_VIDEO.test(name);
  const player = el(video ? "video" : "audio", {
    controls: true, preload: "metadata", src: rendition ? links.audio : links.media,
    "aria-label": rendition ? "Recording (audio rendition)" : "Recording",
    "data-source": rendition ? "rendition" : "original" });
  const parts = [player];
  if (rendition) {
    parts.push(el("p", { class: "hint", id: "playback-note" },
      `You are hearing an audio rendition made by the pipeline, because ${playback.reason || "browsers do not all play this format"}. ` +
      `Its times are the recording's times. Rendition SHA-256 ${rendition.sha256.slice(0, 16)}…; the original is unchanged: `,
      el("a", { href: links.media, download: "", text: "download the original" }), "."));
  } else if (!playback.playable_original) {
    parts.push(el("p", { class: "hint", id: "playback-note",
      text: `This browser may not play this recording (${playback.reason || "its format"}), and no rendition could be made.` }));
  }
  $("#player-box").replaceChildren(...parts);
  return player;
}
