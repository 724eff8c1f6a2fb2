// Deepstory studio: plain JavaScript, no build step. Talks to the JSON API under /api.
"use strict";

const $ = (sel, root = document) => root.querySelector(sel);
const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k === "style") node.style.cssText = v;   // CSSOM: allowed by the page's CSP, a style attribute is not
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== null && v !== undefined && v !== false) node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
};
const CSRF = document.querySelector('meta[name="csrf-token"]').content;

async function api(method, url, body) {
  const opts = { method, headers: { "X-CSRF-Token": CSRF } };
  if (body instanceof FormData) opts.body = body;
  else if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  const res = await fetch(url, opts);
  const data = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) {
    const err = new Error((data && data.error) || `${res.status} ${res.statusText}`);
    err.status = res.status; err.data = data;
    throw err;
  }
  return data;
}

// pipeline stage -> (plain name, what it does); the unit each one counts
const STAGE_NAMES = {
  voice: ["Voices", "speaking every phrase (counted in phrases, so more than lines)"],
  check: ["Speech check", "transcribing each line to catch misspoken words"],
  drive: ["Lip motion", "turning each line's speech into mouth, eye and head movement"],
  animate: ["Animation", "moving each speaker's portrait, one clip per line"],
  frame: ["Framing", "fitting each clip to the story's shape"],
  assemble: ["Final video", "joining the clips and the audio into one MP4 with subtitles"],
};

function etaOf(job, name) {
  // time left in a stage from its own measured rate so far (items made this run per second)
  const s = job.stages[name], since = s.started || job.started;
  if (!since || !s.rendered) return "";
  const rate = s.rendered / Math.max(0.5, Date.now() / 1000 - since);
  const left = (s.total - s.rendered - s.reused) / rate;
  return left > 1 ? ` · about ${fmtTime(left)} left` : "";
}

function gotoLine(n) {
  // Put the caret at the start of line n of the story text (a problem's "Line n" link).
  const text = $("#story-text"), lines = text.value.split("\n");
  const start = lines.slice(0, n - 1).reduce((k, l) => k + l.length + 1, 0);
  text.focus();
  text.setSelectionRange(start, start + (lines[n - 1] || "").length);
  text.scrollTop = Math.max(0, (n - 3) * parseFloat(getComputedStyle(text).lineHeight));
}

function fmtTime(s) {
  const m = Math.floor(s / 60), r = Math.floor(s % 60);
  return `${m}:${String(r).padStart(2, "0")}`;
}

// ------------------------------------------------------------------------------------------- watch
const Watch = {
  sentences: [],
  async load(job) {
    const video = $("#player");
    if (!video || !job || job.status !== "done") return;
    const empty = $("#watch-empty");
    if (empty) empty.hidden = true;
    video.hidden = false;
    const f = job.files;
    if (video.dataset.render !== job.id) {
      video.dataset.render = job.id;
      video.replaceChildren(el("track", { kind: "subtitles", label: "English", srclang: "en", src: f.vtt, default: true }));
      video.src = f.video;
    }
    $("#downloads").replaceChildren(
      "Download: ",
      el("a", { href: f.video + "?download=1", text: "MP4" }), " · ",
      el("a", { href: f.srt + "?download=1", text: "SRT" }), " · ",
      el("a", { href: f.vtt + "?download=1", text: "VTT" }), " · ",
      el("a", { href: f.timeline + "?download=1", text: "timeline.json" }),
    );
    const timeline = await (await fetch(f.timeline)).json();
    this.sentences = timeline.sentences;
    const list = $("#script");
    list.replaceChildren(...this.sentences.map((s, i) => el("li", {},
      el("button", { type: "button", class: "line", "data-index": i, "data-start": s.start,
                     onclick: () => { video.currentTime = s.start + 0.001; video.play().catch(() => {}); } },
         el("span", { class: "who", text: s.speaker }), " ",
         el("span", { class: "when", text: fmtTime(s.start) }), " ",
         el("span", { class: "said", text: s.text })))));
    video.ontimeupdate = () => this.highlight(video.currentTime);
  },
  highlight(t) {
    let current = -1;
    this.sentences.forEach((s, i) => { if (t >= s.start - 0.05) current = i; });
    document.querySelectorAll("#script .line").forEach((b, i) => {
      const on = i === current;
      if (on !== b.classList.contains("current")) {
        b.classList.toggle("current", on);
        if (on) b.setAttribute("aria-current", "true"); else b.removeAttribute("aria-current");
      }
    });
  },
};

// ------------------------------------------------------------------------------------------ render
const Render = {
  source: null,
  timer: null,
  show(job) {
    const state = $("#render-state");
    const msg = { queued: "Queued…", running: "Rendering…", done: `Done: a ${job.duration ?? "?"} s video (${job.frames ?? "?"} frames)`,
                  failed: "Failed: ", cancelled: "Cancelled. ", interrupted: "Interrupted. " }[job.status] || job.status;
    state.textContent = msg + (job.error && job.status !== "done" ? job.error : "");
    state.className = "status " + job.status;
    $("#cancel-btn").hidden = !["queued", "running"].includes(job.status);
    $("#cancel-btn").dataset.render = job.id;
    const btn = $("#render-btn");
    btn.dataset.busy = ["queued", "running"].includes(job.status) ? "1" : "";
    btn.disabled = btn.dataset.busy === "1" || btn.dataset.problems === "1";
    const stages = $("#stages");
    const heard = $("#speech-check");
    heard.hidden = !job.speech_check;
    if (job.speech_check) {
      heard.replaceChildren(job.speech_check.length
        ? el("p", { class: "error", text: `The recogniser heard ${job.speech_check.length} line(s) differently:` })
        : el("p", { text: "Speech check: every line was heard as written." }),
        ...job.speech_check.map(p => el("p", { class: "error",
          text: `Line ${p.line} (${p.speaker}): wrote “${p.text}”, heard “${p.heard}”` })));
    }
    stages.replaceChildren(...Object.keys(STAGE_NAMES).filter(n => job.stages[n]).map(n => {
      const s = job.stages[n];
      const done = s.rendered + s.reused;
      const eta = job.status === "running" && s.state === "running" ? etaOf(job, n) : "";
      return el("div", { class: "stage " + s.state, title: STAGE_NAMES[n][1] },
        el("label", { for: "stage-" + n, text: STAGE_NAMES[n][0] + eta }),
        el("progress", { id: "stage-" + n, max: Math.max(1, s.total), value: done }),
        el("span", { class: "count", text: `${done}/${s.total} · ${s.rendered} rendered, ${s.reused} reused` }));
    }));
    // Per clip: rendered in this run, cached, or still waiting.
    const clips = $("#clips");
    const total = (job.stages.animate || job.stages.drive || {}).total || 0;
    const chips = [];
    for (let i = 1; i <= total; i++) {
      const id = "clip" + String(i).padStart(4, "0");
      const a = job.stages.animate;
      let cls = "wait", label = "waiting";
      if ((job.clips.animate || []).includes(id)) { cls = "made"; label = "rendered"; }
      else if (a && a.state === "done") { cls = "cached"; label = "reused from cache"; }
      chips.push(el("span", { class: "chip " + cls, title: `${id}: ${label}`, text: String(i) }));
    }
    clips.replaceChildren(...chips);
    $("#log").textContent = job.log.join("\n");
    if (job.status === "done") Watch.load(job);
  },
  follow(jobId) {
    this.stop();
    const onJob = (job) => {
      this.show(job);
      if (!["queued", "running"].includes(job.status)) { this.stop(); Studio.refreshRenders(); }
    };
    if (window.EventSource) {
      this.source = new EventSource(`/api/renders/${jobId}/events`);
      this.source.onmessage = (e) => onJob(JSON.parse(e.data));
      this.source.onerror = () => { this.stop(); this.poll(jobId, onJob); };
    } else this.poll(jobId, onJob);
  },
  poll(jobId, onJob) {
    const tick = async () => {
      try {
        const job = await api("GET", `/api/renders/${jobId}`);
        onJob(job);
        if (["queued", "running"].includes(job.status)) this.timer = setTimeout(tick, 1000);
      } catch (e) { this.timer = setTimeout(tick, 2000); }
    };
    tick();
  },
  stop() {
    if (this.source) { this.source.close(); this.source = null; }
    if (this.timer) { clearTimeout(this.timer); this.timer = null; }
  },
};

// ------------------------------------------------------------------------------------------ studio
const AUTOSAVE_MS = 1200;             // save this long after typing pauses
const Studio = {
  id: null, voices: [], portraits: [], animators: [], check: null, checkTimer: null, saved: "", updated: 0,
  revision: 0, saveTimer: null, saving: null, conflict: null, history: [],

  async init(root) {
    this.id = root.dataset.story;
    const text = $("#story-text");
    this.saved = text.value;
    text.addEventListener("input", () => {
      this.setState(text.value === this.saved ? "Saved" : "Unsaved changes");
      clearTimeout(this.checkTimer);
      this.checkTimer = setTimeout(() => this.runCheck(), 600);
      clearTimeout(this.saveTimer);                      // autosave once typing pauses
      this.saveTimer = setTimeout(() => this.save().catch(e => this.setState(e.message, true)), AUTOSAVE_MS);
    });
    $("#save-btn").addEventListener("click", () => this.save().catch(e => this.setState(e.message, true)));
    $("#undo-btn").addEventListener("click", () => this.undo().catch(e => this.setState(e.message, true)));
    $("#reload-btn").addEventListener("click", () => this.resolveConflict("reload"));
    $("#overwrite-btn").addEventListener("click", () => this.resolveConflict("overwrite"));
    document.addEventListener("keydown", (e) => {       // Ctrl+S / Cmd+S saves now instead of saving the page
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "s") {
        e.preventDefault();
        this.save().catch(err => this.setState(err.message, true));
      }
    });
    window.addEventListener("beforeunload", (e) => {   // leaving with unsaved text: the browser asks first
      if ($("#story-text").value !== this.saved || this.saving) { e.preventDefault(); e.returnValue = ""; }
    });
    $("#check-btn").addEventListener("click", () => this.runCheck());
    $("#render-btn").addEventListener("click", () => this.render());  // the story's own animator
    $("#cancel-btn").addEventListener("click", (e) => api("POST", `/api/renders/${e.target.dataset.render}/cancel`)
      .catch(err => ($("#render-state").textContent = err.message)));
    $("#animator").addEventListener("change", (e) => this.cast({ animator: e.target.value }));
    for (const key of ["title", "aspect", "framing", "captions", "transition", "layout"]) {
      $(`#set-${key}`).addEventListener("change", (e) => this.setSetting(key, e.target.value));
    }
    $("#still-btn").addEventListener("click", () => this.render("still"));
    $("#listen-btn").addEventListener("click", () => this.listen());
    $("#listen-audio").addEventListener("timeupdate", () => this.followListen());
    // the phone's sticky bar: the same actions as the Render panel, always in reach
    $("#bar-still").addEventListener("click", () => this.render("still"));
    $("#bar-render").addEventListener("click", () => $("#render-btn").click());
    this.setupUpload();
    const [story, portraits, animators] = await Promise.all([
      api("GET", `/api/stories/${this.id}`), api("GET", "/api/portraits"), api("GET", "/api/animators")]);
    this.portraits = portraits.portraits; this.animators = animators.animators;
    $("#animator").replaceChildren(...this.animators.map(a => el("option", { value: a, text: a })));
    this.apply(story);
    const active = story.renders.find(r => ["queued", "running"].includes(r.status));
    const done = story.renders.find(r => r.status === "done");
    if (active) Render.follow(active.id); else if (story.renders[0]) Render.show(story.renders[0]);
    if (done) Watch.load(done);
    document.body.dataset.ready = "1";
  },

  setState(msg, isError = false) {
    const state = $("#save-state");
    state.textContent = msg;
    $("#bar-state").textContent = msg;
    state.classList.toggle("error", isError);
    document.body.dataset.saveState = isError ? "error" : msg === "Saved" ? "saved" : "pending";
  },

  apply(story) {
    // A server copy of the story: the editor (unless it holds newer edits), the check, cast and renders.
    if (story.updated < this.updated) return;
    this.updated = story.updated;
    this.revision = story.revision || this.revision;
    clearTimeout(this.checkTimer);
    const text = $("#story-text");
    const edited = text.value !== this.saved;
    if (!edited) text.value = story.text;
    this.saved = story.text;
    this.setState(text.value === this.saved ? "Saved" : "Unsaved changes");
    $("#story-title").textContent = story.title;
    if (text.value === story.text) this.showCheck(story.check); else this.runCheck();
    this.showRenders(story.renders);
  },

  async save({ force = false } = {}) {
    clearTimeout(this.saveTimer);
    if (this.saving) await this.saving.catch(() => {});          // one save at a time, in order
    const text = $("#story-text").value;
    if (text === this.saved || (this.conflict && !force)) return;
    this.setState("Saving…");
    const before = this.saved;
    this.saving = api("PUT", `/api/stories/${this.id}`, { text, base_revision: force ? undefined : this.revision });
    try {
      const story = await this.saving;
      if (before !== story.text) this.history.push(before);       // what Undo goes back to
      this.history = this.history.slice(-20);
      $("#undo-btn").disabled = !this.history.length;
      this.saved = story.text;
      this.apply(story);
    } catch (e) {
      if (e.status === 409) this.showConflict(e.data.story); else throw e;
    } finally { this.saving = null; }
  },

  showConflict(current) {
    // Someone saved this story elsewhere since we loaded it: never overwrite silently.
    this.conflict = current;
    $("#conflict").hidden = false;
    this.setState("Not saved: this story was changed in another window.", true);
  },

  async resolveConflict(how) {
    const current = this.conflict;
    this.conflict = null;
    $("#conflict").hidden = true;
    if (how === "reload") {
      this.saved = $("#story-text").value = current.text;
      this.updated = 0;
      this.apply(current);
    } else {
      this.revision = current.revision;
      await this.save({ force: true }).catch(e => this.setState(e.message, true));
    }
  },

  async undo() {
    // Back to the text before the last save (a cast change rewrites the front matter: this takes it back).
    const previous = this.history.pop();
    $("#undo-btn").disabled = !this.history.length;
    if (previous === undefined) return;
    $("#story-text").value = previous;
    await this.save();
    this.history.pop();                                          // undoing is not itself undoable
    $("#undo-btn").disabled = !this.history.length;
    this.runCheck();
  },

  async runCheck() {
    clearTimeout(this.checkTimer);
    const text = $("#story-text").value;
    try {
      const check = await api("POST", "/api/check", { text });
      if ($("#story-text").value === text) this.showCheck(check);     // a late answer for older text is dropped
    } catch (e) { this.setState(e.message); }
  },

  showCheck(check) {
    this.check = check;
    $("#problems").replaceChildren(...check.problems.map(p => el("li", { role: "alert" },
      p.line ? el("a", { href: "#", class: "goto-line", text: `Line ${p.line}`,
                         onclick: (e) => { e.preventDefault(); gotoLine(p.line); } }) : null,
      (p.line ? ": " : "") + p.message.replace(/^line \d+: /, ""))));
    $("#lines").replaceChildren(...check.lines.map(l => el("li", { value: l.number },
      el("span", { class: "who", text: l.speaker }), " ", el("span", { text: l.text }))));
    if (check.animator) $("#animator").value = check.animator;
    if (check.title) $("#set-title").value = check.title;
    for (const key of ["aspect", "framing", "captions", "transition", "layout"]) if (check[key]) $(`#set-${key}`).value = check[key];
    $("#frame-size").textContent = check.frame_size ? `${check.frame_size[0]} × ${check.frame_size[1]} pixels` : "…";
    // a broken story cannot be rendered: say why instead of failing after the click
    const btn = $("#render-btn");
    btn.dataset.problems = check.problems.length ? "1" : "";
    btn.disabled = btn.dataset.problems === "1" || btn.dataset.busy === "1";
    btn.title = check.problems.length ? "Fix the problems listed under Write first" : "";
    if (check.problems.length) $("#render-state").textContent = "Fix the problems listed under Write to render.";
    else if ($("#render-state").textContent.startsWith("Fix the problems")) $("#render-state").textContent = "";
    this.showCast(check.speakers);
    document.dispatchEvent(new CustomEvent("story-check", { detail: check }));   // the line editor (lines.js)
  },

  showCast(speakers) {
    const box = $("#speakers");
    box.replaceChildren(...speakers.map(sp => {
      const pid = sp.portrait || "";
      const info = this.portraits.find(p => p.id === pid);
      const voiceId = `voice-${sp.name.replace(/\W+/g, "_")}`;
      const portraitId = `portrait-${sp.name.replace(/\W+/g, "_")}`;
      const voice = VoicePicker.field(sp, voiceId, (spec) => this.cast({ speakers: { [sp.name]: { voice: spec } } }));
      const select = el("select", { id: portraitId },
        el("option", { value: "", text: `automatic (${sp.auto_portrait || "bundled"})` }),
        ...this.portraits.map(p => el("option", { value: p.id, text: p.label, selected: p.id === pid })));
      select.addEventListener("change", () => this.cast({ speakers: { [sp.name]: { portrait: select.value } } }));
      return el("div", { class: "speaker", "data-speaker": sp.name },
        el("div", { class: "speaker-face" }, info ? faceFigure(info) : el("span", { class: "muted", text: "auto" })),
        el("div", { class: "speaker-body" },
          el("h3", { text: `${sp.name} (${sp.lines} line${sp.lines === 1 ? "" : "s"})` }),
          voice,
          el("div", { class: "field" }, el("label", { for: portraitId, text: "Portrait" }), select)));
    }));
    VoicePicker.loadAutomatic(this.id);
    FramingPreview.refresh(this.id, this.check, this.revision);
    this.showGallery();
  },

  showGallery() {
    const speakers = (this.check && this.check.speakers) || [];
    $("#gallery").replaceChildren(...this.portraits.map(p => el("li", { class: "tile" },
      faceFigure(p),
      p.bundled ? el("span", { class: "tile-label", text: p.label + (p.face ? "" : " (no face found)") })
        : el("input", { class: "tile-name", value: p.label, "aria-label": "Name of this uploaded portrait",
                        onchange: (e) => this.managePortrait(p, "PATCH", { label: e.target.value }) }),
      p.bundled ? null : el("button", { type: "button", class: "small", text: "Delete",
        "aria-label": `Delete the uploaded portrait ${p.label}`, onclick: () => this.managePortrait(p, "DELETE") }),
      ...speakers.map(sp => el("button", { type: "button", class: "small", "data-portrait": p.id,
        "data-speaker": sp.name, "aria-pressed": String(sp.portrait === p.id),
        text: `Cast as ${sp.name}`,
        onclick: () => this.cast({ speakers: { [sp.name]: { portrait: p.id } } }) })))));
  },

  async listen() {
    // the story's audio from the voice stage alone; the script line being spoken is highlighted
    const btn = $("#listen-btn");
    btn.disabled = true;
    this.setState("Making the voices…");
    try {
      await this.save();
      const data = await api("POST", `/api/stories/${this.id}/listen`);
      this.listenLines = data.lines;
      const audio = $("#listen-audio");
      audio.hidden = false;
      audio.src = data.url;
      this.setState("Saved");
      await audio.play().catch(() => {});            // autoplay may be refused: the controls are there
    } catch (e) { this.setState(e.message, true); } finally { btn.disabled = false; }
  },

  followListen() {
    const t = $("#listen-audio").currentTime;
    const current = (this.listenLines || []).find(l => t >= l.start && t < l.end);
    for (const li of document.querySelectorAll("#lines li")) {
      li.classList.toggle("speaking", !!current && Number(li.value) === current.line);
    }
  },

  async managePortrait(p, method, body) {
    // rename or delete an upload; the gallery is listed again from the server
    try {
      await api(method, `/api/portraits/${p.id}`, body);
      this.portraits = (await api("GET", "/api/portraits")).portraits;
      $("#upload-state").textContent = method === "DELETE" ? `Deleted ${p.label}.` : "Renamed.";
      this.runCheck();
      this.showGallery();
    } catch (e) { $("#upload-state").textContent = e.message; $("#upload-state").classList.add("error"); }
  },

  setSetting(key, value) {
    // one at a time: two quick changes must not both send the same base revision (the second would 409)
    this.settings = (this.settings || Promise.resolve()).then(() => this.setOneSetting(key, value));
    return this.settings;
  },

  async setOneSetting(key, value) {
    // one front-matter setting, changed on the server line by line (the rest of the text is kept as written)
    try {
      await this.save();
      if (key === "title" && !value.trim()) return;
      const before = this.saved;
      const story = await api("PATCH", `/api/stories/${this.id}`, { [key]: value, base_revision: this.revision });
      if (story.text !== before) { this.history.push(before); $("#undo-btn").disabled = false; }
      this.apply(story);
    } catch (e) {
      if (e.status === 409) this.showConflict(e.data.story); else this.setState(e.message, true);
    }
  },

  async cast(change) {
    try {
      await this.save();
      const before = this.saved;
      const story = await api("POST", `/api/stories/${this.id}/cast`, change);
      if (story.text !== before) { this.history.push(before); $("#undo-btn").disabled = false; }
      this.apply(story);
    } catch (e) { this.setState(e.message, true); }
  },

  setupUpload() {
    const zone = $("#dropzone"), input = $("#upload"), state = $("#upload-state");
    const send = async (file) => {
      if (!file) return;
      const form = new FormData();
      form.append("image", file);
      state.textContent = "Uploading…";
      try {
        const info = await api("POST", "/api/portraits", form);
        this.portraits.push(info);
        state.textContent = info.face ? `Added “${info.label}”; face found.` : `Added “${info.label}”, but no face was found in it.`;
        this.showCast(this.check.speakers);
      } catch (e) { state.textContent = e.message; }
    };
    input.addEventListener("change", () => send(input.files[0]));
    zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("over"); });
    zone.addEventListener("dragleave", () => zone.classList.remove("over"));
    zone.addEventListener("drop", (e) => { e.preventDefault(); zone.classList.remove("over"); send(e.dataTransfer.files[0]); });
  },

  async render(animator) {
    // animator "still": the quick preview, rendered without changing the story's own animator
    try {
      await this.save();
      const body = { check_speech: $("#check-speech").checked };
      if (animator) body.animator = animator;
      const job = await api("POST", `/api/stories/${this.id}/renders`, body);
      Render.show(job);
      Render.follow(job.id);
      this.refreshRenders();
    } catch (e) { $("#render-state").textContent = e.message; }
  },

  async refreshRenders() {
    const data = await api("GET", `/api/renders?story=${this.id}`);
    this.showRenders(data.renders);
  },

  showRenders(renders) {
    $("#renders").replaceChildren(...renders.slice(0, 10).map(r => el("li", { class: "render-item" },
      r.files && r.files.poster ? el("img", { src: r.files.poster, alt: "", class: "thumb", width: 96 }) : null,
      el("a", { href: `/renders/${r.id}`, text: `${r.title || "Render"} · ${new Date(r.created * 1000).toLocaleString()}` +
        (r.duration ? ` · ${fmtTime(r.duration)}` : "") + (r.animator === "still" ? " · still" : "") }), " ",
      el("span", { class: "badge " + r.status, text: r.status }),
      ["queued", "running"].includes(r.status) ? null : el("button", { type: "button", class: "small",
        "aria-label": `Delete the video made ${new Date(r.created * 1000).toLocaleString()}`, text: "Delete",
        onclick: async () => { try { await api("DELETE", `/api/renders/${r.id}`); this.refreshRenders(); } catch (e) { $("#render-state").textContent = e.message; } } }),
      r.status === "interrupted" || r.status === "failed" || r.status === "cancelled"
        ? el("button", { type: "button", class: "small", text: "Resume",
            onclick: async () => { try { const j = await api("POST", `/api/renders/${r.id}/resume`); Render.follow(j.id); } catch (e) { $("#render-state").textContent = e.message; } } })
        : null)));
  },
};

function faceFigure(p) {
  const fig = el("figure", { class: "face-fig" },
    el("img", { src: p.url, alt: `Portrait: ${p.label}`, loading: "lazy", width: p.width, height: p.height }));
  if (p.face) {
    const [x0, y0, x1, y1] = p.face;
    fig.append(el("span", { class: "face-box", "aria-hidden": "true",
      style: `left:${100 * x0 / p.width}%;top:${100 * y0 / p.height}%;width:${100 * (x1 - x0) / p.width}%;height:${100 * (y1 - y0) / p.height}%` }));
  }
  return fig;
}

document.addEventListener("DOMContentLoaded", async () => {
  const studio = $("#studio");
  if (studio) {
    try { await Studio.init(studio); } catch (e) { $("#save-state").textContent = e.message; }
    return;
  }
  const watch = $("#watch[data-render]");
  if (watch) Watch.load(await api("GET", `/api/renders/${watch.dataset.render}`));
});
