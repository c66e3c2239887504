// The Endpoint Explorer page. Plain HTML + CSS + JavaScript in one string: no build step, no external asset,
// nothing fetched from outside the server. Element ids are stable: the browser test (Benchmarks/browser) uses them.

let explorerHTML = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Chromasong · Endpoint Explorer</title>
<link rel="icon" href="data:,">
<style>
:root { --bg:#101317; --panel:#181c22; --line:#2a3039; --text:#e6e9ee; --muted:#8b95a3; --accent:#e7a33e;
        --ok:#5cc98a; --bad:#ef6461; --run:#6aa7ff; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; background:var(--bg); color:var(--text); }
header { padding:18px 28px; border-bottom:1px solid var(--line); display:flex; gap:16px; align-items:baseline; }
header h1 { margin:0; font-size:20px; } header h1 span { color:var(--accent); }
header code { color:var(--muted); }
main { display:grid; grid-template-columns:minmax(340px, 460px) 1fr; gap:24px; padding:24px 28px; }
@media (max-width: 900px) { main { grid-template-columns:1fr; } }
section { background:var(--panel); border:1px solid var(--line); border-radius:10px; padding:18px; }
h2 { margin:0 0 12px; font-size:16px; }
label { display:block; margin:10px 0 4px; color:var(--muted); font-size:13px; }
label code { color:var(--text); }
input[type=text], input[type=url], input[type=number], input[type=password], textarea, select {
  width:100%; padding:8px 10px; border-radius:6px; border:1px solid var(--line); background:#0c0f13; color:var(--text); font:inherit; }
textarea { min-height:70px; resize:vertical; }
.row { display:grid; grid-template-columns:1fr 1fr; gap:10px; }
.row3 { display:grid; grid-template-columns:1fr 1fr 1fr; gap:10px; }
.checks { display:flex; flex-wrap:wrap; gap:14px; margin-top:8px; }
.checks label { display:flex; gap:6px; align-items:center; margin:0; color:var(--text); }
.hint { color:var(--muted); font-size:12px; }
.field-error { color:var(--bad); font-size:12px; min-height:0; }
.invalid { border-color:var(--bad) !important; }
button { margin-top:16px; padding:10px 18px; border:0; border-radius:6px; background:var(--accent); color:#1a1206;
         font-weight:600; font:inherit; cursor:pointer; }
button:disabled { opacity:.5; cursor:wait; }
.status { display:inline-block; padding:2px 10px; border-radius:99px; font-size:12px; font-weight:600; background:#2a3039; }
.status.IN_QUEUE { background:#3a3320; color:var(--accent); } .status.IN_PROGRESS { background:#1d2c44; color:var(--run); }
.status.COMPLETED { background:#1b3325; color:var(--ok); } .status.FAILED, .status.ERROR { background:#3b1f1f; color:var(--bad); }
#result-head { display:flex; gap:18px; align-items:flex-start; }
#cover { width:200px; height:200px; border-radius:8px; object-fit:cover; background:#0c0f13; border:1px solid var(--line); }
#cover[hidden] { display:none; }
.meta { color:var(--muted); } .meta b { color:var(--text); font-weight:600; }
#title { font-size:22px; margin:0 0 6px; }
.versions { display:grid; grid-template-columns:1fr 1fr; gap:16px; margin-top:16px; }
@media (max-width: 1200px) { .versions { grid-template-columns:1fr; } }
.version { border:1px solid var(--line); border-radius:8px; padding:12px; background:#13171c; }
.version h3 { margin:0 0 8px; font-size:14px; }
audio { width:100%; }
.lyrics { margin-top:10px; max-height:320px; overflow:auto; padding-right:6px; }
.lyrics p { margin:2px 0; padding:2px 6px; border-radius:4px; cursor:pointer; color:#aab3bf; transition:background .15s; }
.lyrics p.section { color:var(--muted); font-size:12px; text-transform:uppercase; letter-spacing:.05em; margin-top:8px; }
.lyrics p.current { background:#2b2414; color:var(--text); }
.lyrics span.word.current { color:var(--accent); }
pre { white-space:pre-wrap; word-break:break-all; background:#0c0f13; padding:10px; border-radius:6px; font-size:12px; max-height:260px; overflow:auto; }
details summary { cursor:pointer; color:var(--muted); margin-top:12px; }
a { color:var(--accent); }
</style>
</head>
<body>
<header>
  <h1>Chromasong <span>Endpoint Explorer</span></h1>
  <code>POST /api/public/v1/image_to_song</code>
</header>
<main>
<section id="request">
  <h2>Request</h2>
  <form id="form" autocomplete="off" novalidate>
    <label for="api_key">API key <span class="hint">(sent as the Authorization header; kept in this browser only)</span></label>
    <input type="password" id="api_key" placeholder="empty when the server has no keys">

    <label for="image_file"><code>image_file</code> <span class="hint">JPEG, PNG, GIF, BMP, WEBP; at most 20 MiB</span></label>
    <input type="file" id="image_file" name="image_file" accept="image/jpeg,image/png,image/gif,image/bmp,image/webp">
    <div class="field-error" data-for="image_file"></div>
    <label for="image_url"><code>image_url</code> <span class="hint">or an http(s) URL instead of a file</span></label>
    <input type="url" id="image_url" name="image_url" placeholder="https://example.com/photo.jpg">
    <div class="field-error" data-for="image_url"></div>

    <label for="prompt"><code>prompt</code> <span class="hint">at most 300 characters</span></label>
    <textarea id="prompt" name="prompt" maxlength="300" placeholder="warm lofi, rainy evening, soft piano"></textarea>
    <div class="field-error" data-for="prompt"></div>

    <label for="lyrics"><code>lyrics</code> <span class="hint">at most 3000 characters; [Verse 1], [Chorus]… allowed</span></label>
    <textarea id="lyrics" name="lyrics" maxlength="3000" placeholder="[Verse 1]&#10;Gold on the water…"></textarea>
    <div class="field-error" data-for="lyrics"></div>

    <label for="negative_tags"><code>negative_tags</code></label>
    <input type="text" id="negative_tags" name="negative_tags" maxlength="300" placeholder="no heavy metal, avoid loud drums">
    <div class="field-error" data-for="negative_tags"></div>

    <div class="checks">
      <label><input type="checkbox" id="make_instrumental" name="make_instrumental"> <code>make_instrumental</code></label>
      <label><input type="checkbox" id="vocal_only" name="vocal_only"> <code>vocal_only</code></label>
    </div>
    <div class="field-error" data-for="make_instrumental"></div><div class="field-error" data-for="vocal_only"></div>

    <div class="row">
      <div><label for="key"><code>key</code></label>
        <input type="text" id="key" name="key" list="keys" placeholder="from the image">
        <datalist id="keys"><option>C major</option><option>A minor</option><option>G major</option><option>E minor</option>
          <option>D major</option><option>F# minor</option><option>Bb major</option><option>c#m</option></datalist>
        <div class="field-error" data-for="key"></div></div>
      <div><label for="bpm"><code>bpm</code> <span class="hint">0 or 40–240</span></label>
        <input type="number" id="bpm" name="bpm" min="0" max="240" placeholder="0 = from the image">
        <div class="field-error" data-for="bpm"></div></div>
    </div>

    <label for="voice_id"><code>voice_id</code> <span class="hint">from getAllVoices</span></label>
    <select id="voice_id" name="voice_id"><option value="">(default voice)</option></select>
    <div class="field-error" data-for="voice_id"></div>

    <label for="webhook_url"><code>webhook_url</code></label>
    <input type="url" id="webhook_url" name="webhook_url" placeholder="https://example.com/hooks/chromasong">
    <div class="field-error" data-for="webhook_url"></div>

    <div class="row3">
      <div><label for="seed"><code>seed</code></label><input type="number" id="seed" name="seed" min="0" placeholder="auto">
        <div class="field-error" data-for="seed"></div></div>
      <div><label for="duration"><code>duration</code> s</label><input type="number" id="duration" name="duration" min="10" max="600" placeholder="auto">
        <div class="field-error" data-for="duration"></div></div>
      <div><label for="versions"><code>versions</code></label><input type="number" id="versions" name="versions" min="1" max="4" placeholder="2">
        <div class="field-error" data-for="versions"></div></div>
    </div>
    <label><code>formats</code></label>
    <div class="checks" id="formats">
      <label><input type="checkbox" value="mp3" checked> mp3</label><label><input type="checkbox" value="wav" checked> wav</label>
      <label><input type="checkbox" value="flac"> flac</label><label><input type="checkbox" value="ogg"> ogg</label>
    </div>
    <div class="field-error" data-for="formats"></div>

    <button type="submit" id="submit">Make the song</button>
    <div class="field-error" id="form-error"></div>
    <details><summary>Same request with curl</summary><pre id="curl"></pre></details>
  </form>
</section>

<section id="result">
  <h2>Result <span id="status" class="status">no task yet</span> <span id="status_msg" class="hint"></span></h2>
  <div id="result-head">
    <img id="cover" alt="album cover" hidden>
    <div>
      <p id="title"></p>
      <p class="meta" id="meta"></p>
      <p class="meta" id="ids"></p>
    </div>
  </div>
  <div class="versions" id="version-cards"></div>
  <details><summary>Last API answer</summary><pre id="raw"></pre></details>
</section>
</main>

<script>
"use strict";
const API = "/api/public/v1";
const $ = (id) => document.getElementById(id);
const state = { taskId: null, timer: null, rendered: null };

const keyField = $("api_key");
keyField.value = localStorage.getItem("chromasong.api_key") || "";
keyField.addEventListener("change", () => { localStorage.setItem("chromasong.api_key", keyField.value); loadVoices(); });

function authHeaders() {
  const key = keyField.value.trim();
  return key ? { "Authorization": key } : {};
}

async function api(path, options = {}) {
  const response = await fetch(API + path, { ...options, headers: { ...authHeaders(), ...(options.headers || {}) } });
  let body = null;
  try { body = await response.json(); } catch (_) { body = { success: false, error: "HTTP " + response.status }; }
  $("raw").textContent = JSON.stringify(body, null, 2);
  return { status: response.status, body };
}

async function loadVoices() {
  const select = $("voice_id");
  const chosen = select.value;
  select.length = 1;
  let page = 0, total = Infinity;
  while (page * 100 < total && page < 20) {
    const { status, body } = await api(`/getAllVoices?limit=100&page=${page}`);
    if (status !== 200 || !body.voices) break;
    total = body.total ?? body.voices.length;
    for (const voice of body.voices) select.add(new Option(`${voice.voice_name} (${voice.voice_id})`, voice.voice_id));
    if (body.voices.length === 0) break;
    page += 1;
  }
  select.value = chosen;
}

function clearErrors() {
  document.querySelectorAll(".field-error").forEach((el) => { el.textContent = ""; });
  document.querySelectorAll(".invalid").forEach((el) => el.classList.remove("invalid"));
}

function showErrors(body, status) {
  $("form-error").textContent = `${status}: ${body.error || body.message || "request refused"}`;
  for (const item of body.detail || []) {
    const slot = document.querySelector(`.field-error[data-for="${item.field}"]`);
    if (slot) slot.textContent = item.message;
    const input = $(item.field);
    if (input) input.classList.add("invalid");
  }
}

function buildForm() {
  const data = new FormData();
  const file = $("image_file").files[0];
  if (file) data.append("image_file", file);
  for (const name of ["image_url", "prompt", "lyrics", "negative_tags", "key", "bpm", "voice_id", "webhook_url",
                      "seed", "duration", "versions"]) {
    const value = $(name).value.trim();
    if (value !== "") data.append(name, value);
  }
  for (const name of ["make_instrumental", "vocal_only"]) if ($(name).checked) data.append(name, "true");
  const formats = [...document.querySelectorAll("#formats input:checked")].map((el) => el.value);
  if (formats.length && formats.join(",") !== "mp3,wav") data.append("formats", formats.join(","));
  return data;
}

function curlFor(data) {
  const quote = (s) => "'" + String(s).replace(/'/g, "'\\''") + "'";
  const parts = [`curl -X POST ${location.origin}${API}/image_to_song`];
  const key = keyField.value.trim();
  if (key) parts.push(`-H ${quote("Authorization: " + key)}`);
  for (const [name, value] of data.entries()) {
    parts.push(value instanceof File ? `-F ${quote(name + "=@" + value.name)}` : `-F ${quote(name + "=" + value)}`);
  }
  return parts.join(" \\\n  ");
}

$("form").addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors();
  const data = buildForm();
  $("curl").textContent = curlFor(data);
  $("submit").disabled = true;
  try {
    const { status, body } = await api("/image_to_song", { method: "POST", body: data });
    if (status !== 200 || !body.success) { showErrors(body, status); return; }
    startPolling(body.task_id, body.eta);
    if (body.stream_url_1) showPreview(body.stream_url_1);
  } catch (error) {
    $("form-error").textContent = "network error: " + error;
  } finally {
    $("submit").disabled = false;
  }
});

// The first version while it renders (GET /streams/...: chunked WAV through a provisional master); replaced by the
// delivered versions when the task completes.
function showPreview(url) {
  const card = document.createElement("div");
  card.className = "version";
  card.id = "preview";
  const h = document.createElement("h3");
  h.textContent = "Listen while it renders (provisional master)";
  const audio = document.createElement("audio");
  audio.controls = true;
  audio.autoplay = true;
  audio.src = url;
  card.appendChild(h);
  card.appendChild(audio);
  $("version-cards").appendChild(card);
}

function setStatus(status, message) {
  const badge = $("status");
  badge.className = "status " + status;
  badge.textContent = status;
  $("status_msg").textContent = message || "";
}

function startPolling(taskId, eta) {
  state.taskId = taskId;
  state.rendered = null;
  $("version-cards").innerHTML = "";
  $("cover").hidden = true;
  $("title").textContent = "";
  $("meta").textContent = "";
  $("ids").textContent = "task " + taskId;
  setStatus("IN_QUEUE", eta != null ? `about ${Math.round(eta)} s` : "");
  clearTimeout(state.timer);
  poll();
}

async function poll() {
  const taskId = state.taskId;
  let next = 1500;
  try {
    const { status, body } = await api(`/byId?conversionType=IMAGE_TO_SONG&task_id=${encodeURIComponent(taskId)}`);
    if (taskId !== state.taskId) return;
    if (status === 200 && body.conversion) {
      const c = body.conversion;
      setStatus(c.status, c.status_msg);
      if (c.status === "COMPLETED") { render(c); return; }
      if (c.status === "FAILED") return;
    } else {
      setStatus("ERROR", body.error || ("HTTP " + status));
      next = 5000;
    }
  } catch (error) {
    setStatus("ERROR", String(error));
    next = 5000;
  }
  state.timer = setTimeout(poll, next);
}

function parseTimestamped(value) {
  if (!value) return [];
  if (typeof value === "string") { try { value = JSON.parse(value); } catch (_) { return []; } }
  return Array.isArray(value) ? value : [];
}

function render(c) {
  if (state.rendered === c.task_id) return;
  state.rendered = c.task_id;
  $("title").textContent = c.title || "";
  const meta = [];
  if (c.music_style) meta.push(`<b>${escapeHTML(c.music_style)}</b>`);
  if (c.key) meta.push(`key <b>${escapeHTML(c.key)}</b>`);
  if (c.bpm) meta.push(`<b>${escapeHTML(c.bpm)}</b> bpm`);
  $("meta").innerHTML = meta.join(" · ");
  const cover = $("cover");
  const coverURL = c.album_cover_path || c.album_cover_thumbnail;
  if (coverURL) { cover.src = coverURL; cover.hidden = false; }
  const box = $("version-cards");
  box.innerHTML = "";
  for (const n of [1, 2]) {
    const mp3 = c[`conversion_path_${n}`], wav = c[`conversion_path_wav_${n}`];
    if (!mp3 && !wav) continue;
    box.appendChild(versionCard(n, c[`conversion_id_${n}`], mp3 || wav, wav, c[`conversion_duration_${n}`],
                                parseTimestamped(c[`lyrics_timestamped_${n}`]), c[`lyrics_${n}`]));
  }
}

function escapeHTML(value) {
  return String(value).replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[ch]));
}

function versionCard(n, conversionId, src, wav, duration, lines, plainLyrics) {
  const card = document.createElement("div");
  card.className = "version";
  card.id = `version-${n}`;
  const heading = document.createElement("h3");
  heading.textContent = `Version ${n}` + (duration ? ` · ${Number(duration).toFixed(1)} s` : "");
  card.appendChild(heading);
  const audio = document.createElement("audio");
  audio.controls = true;
  audio.preload = "metadata";
  audio.src = src;
  audio.id = `audio-${n}`;
  card.appendChild(audio);
  const links = document.createElement("div");
  links.className = "hint";
  links.innerHTML = `<a href="${escapeHTML(src)}" download>download</a>` +
    (wav && wav !== src ? ` · <a href="${escapeHTML(wav)}" download>wav</a>` : "") +
    (conversionId ? ` · ${escapeHTML(conversionId)}` : "");
  card.appendChild(links);

  const lyricBox = document.createElement("div");
  lyricBox.className = "lyrics";
  lyricBox.id = `lyrics-${n}`;
  const rows = [];
  for (const line of lines) {
    const p = document.createElement("p");
    const isSection = /^\s*\[.*\]\s*$/.test(line.text || "");
    if (isSection) p.className = "section";
    const words = Array.isArray(line.words) ? line.words : [];
    if (words.length) {
      for (const word of words) {
        const span = document.createElement("span");
        span.className = "word";
        span.textContent = word.text;
        span.dataset.start = word.start;
        span.dataset.end = word.end;
        p.appendChild(span);
        p.appendChild(document.createTextNode(" "));
      }
    } else {
      p.textContent = line.text || "";
    }
    p.dataset.start = line.start;
    p.dataset.end = line.end;
    p.addEventListener("click", () => { audio.currentTime = (Number(line.start) || 0) / 1000; audio.play(); });
    lyricBox.appendChild(p);
    if (!isSection) rows.push(p);
  }
  if (!lines.length && plainLyrics) {
    const pre = document.createElement("p");
    pre.style.whiteSpace = "pre-wrap";
    pre.textContent = plainLyrics;
    lyricBox.appendChild(pre);
  }
  card.appendChild(lyricBox);

  // Highlight the line (and word) being sung; requestAnimationFrame while playing, timeupdate as the fallback.
  let current = null, currentWord = null, frame = 0;
  const highlight = () => {
    const ms = audio.currentTime * 1000;
    let found = null;
    for (const p of rows) if (ms >= Number(p.dataset.start) && ms < Number(p.dataset.end)) { found = p; break; }
    if (found !== current) {
      if (current) current.classList.remove("current");
      if (found) {
        found.classList.add("current");
        // Scroll the lyrics box only, never the page under the reader.
        const top = found.offsetTop - lyricBox.offsetTop;
        if (top < lyricBox.scrollTop || top > lyricBox.scrollTop + lyricBox.clientHeight - found.offsetHeight)
          lyricBox.scrollTo({ top: Math.max(0, top - lyricBox.clientHeight / 3), behavior: "smooth" });
      }
      current = found;
    }
    let word = null;
    if (found) for (const span of found.querySelectorAll("span.word"))
      if (ms >= Number(span.dataset.start) && ms < Number(span.dataset.end)) { word = span; break; }
    if (word !== currentWord) {
      if (currentWord) currentWord.classList.remove("current");
      if (word) word.classList.add("current");
      currentWord = word;
    }
  };
  const loop = () => { highlight(); if (!audio.paused) frame = requestAnimationFrame(loop); };
  audio.addEventListener("play", () => { cancelAnimationFrame(frame); loop(); });
  audio.addEventListener("timeupdate", highlight);
  audio.addEventListener("seeked", highlight);
  return card;
}

// Exclusive choices the contract refuses together: make them visible before the server says so.
$("make_instrumental").addEventListener("change", () => { if ($("make_instrumental").checked) $("vocal_only").checked = false; });
$("vocal_only").addEventListener("change", () => { if ($("vocal_only").checked) { $("make_instrumental").checked = false; $("voice_id").value = ""; } });

const resume = new URLSearchParams(location.search).get("task_id");
loadVoices().finally(() => { if (resume) startPolling(resume, null); });
</script>
</body>
</html>
"""#
