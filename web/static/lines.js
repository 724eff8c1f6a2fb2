// Deepstory studio: the line-based story editor ("Lines | Text") and each speaker's rate, pitch and speed.
// Loaded after studio.js (uses its $, el, api, Studio, Render, Watch). The story text stays the one source
// of truth: a line edit rewrites only that line of the script (the front matter text is never touched),
// writes the textarea and goes through the text box's own autosave and revision path.
"use strict";

const VIEW_KEY = "deepstory.editor-view";
const NEW_SPEAKER = "\u0000new";                // the speaker menu's "New speaker…" entry
// `Name: text` / `Name | text` as deepstory/story.py reads them (a line's speaker when the check has none)
const SPEAKER_LINE = /^\s*([^\W\d_][\w .'’-]{0,39}?)\s*(?:\||:)\s*(.*)$/u;

const Lines = {
  prefix: "", items: [], trailing: false, check: null, view: "text",

  init() {
    const text = $("#story-text");
    if (!text) return;
    const toggle = el("div", { class: "view-toggle", role: "group", "aria-label": "Editor view" },
      el("button", { type: "button", id: "view-lines", class: "small", "aria-pressed": "false", text: "Lines",
                     onclick: () => this.setView("lines") }),
      el("button", { type: "button", id: "view-text", class: "small", "aria-pressed": "true", text: "Text",
                     onclick: () => this.setView("text") }));
    const editor = el("div", { id: "line-editor", class: "line-editor", hidden: true },
      el("p", { class: "hint", text: "One row per line. In a line's text: Enter adds a line below, Shift+Enter a " +
        "new paragraph, Alt+↑/↓ moves the line, Backspace on an empty line deletes it." }),
      el("ol", { id: "line-rows", class: "line-rows", "aria-label": "Story lines" }),
      el("div", { class: "row" },
        el("button", { type: "button", id: "add-line", class: "small", text: "Add a line",
                       onclick: () => this.insertLine(this.items.length) }),
        el("span", { id: "line-state", class: "muted", role: "status", "aria-live": "polite" })),
      el("audio", { id: "line-audio", controls: true, hidden: true }));
    const label = document.querySelector('label[for="story-text"]');
    (label || text).before(toggle);
    text.after(editor);
    $("#settings").after(el("details", { id: "voice-settings", class: "settings" },
      el("summary", { text: "Speakers' rate, speed and pitch" }), el("div", { id: "voice-settings-body" })));
    document.addEventListener("story-check", (e) => this.onCheck(e.detail));
    // in the Lines view a problem's "Line n" link goes to that row (the text box it selects is hidden)
    document.addEventListener("click", (e) => {
      const link = e.target.closest && e.target.closest(".goto-line");
      if (link && this.view === "lines") this.focusLine(parseInt(link.textContent.replace(/\D+/g, ""), 10));
    });
    // Listen: the row being spoken is highlighted, as in the text view's line list
    const listen = $("#listen-audio");
    if (listen) listen.addEventListener("timeupdate", () => {
      const t = listen.currentTime;
      const current = (Studio.listenLines || []).find(l => t >= l.start && t < l.end);
      for (const li of document.querySelectorAll("#line-rows li[data-line]")) {
        li.classList.toggle("speaking", !!current && Number(li.dataset.line) === current.line);
      }
    });
    this.setView(localStorage.getItem(VIEW_KEY) === "lines" ? "lines" : "text");
  },

  setView(view) {
    this.view = view;
    localStorage.setItem(VIEW_KEY, view);
    const lines = view === "lines";
    $("#view-lines").setAttribute("aria-pressed", String(lines));
    $("#view-text").setAttribute("aria-pressed", String(!lines));
    $("#story-text").hidden = lines;
    const label = document.querySelector('label[for="story-text"]');
    if (label) label.hidden = lines;
    $("#line-editor").hidden = !lines;
    if (lines) { this.parse(); this.draw(); }
  },

  // ------------------------------------------------------------------------------ text <-> rows
  parse() {
    // the textarea's text as (front matter text kept verbatim) + one item per script line
    const all = $("#story-text").value.split("\n");
    let start = 0;
    if (all.length && all[0].trim() === "---") {
      const close = all.findIndex((ln, i) => i > 0 && (ln.trim() === "---" || ln.trim() === "..."));
      if (close > 0) start = close + 1;
    }
    this.prefix = start ? all.slice(0, start).join("\n") + "\n" : "";
    const body = all.slice(start);
    this.trailing = body.length > 1 && body[body.length - 1] === "";   // the file's final newline
    if (this.trailing || (body.length === 1 && body[0] === "")) body.pop();
    const known = new Map(((this.check && this.check.lines) || []).map(l => [l.number, l]));
    this.items = body.map((raw, i) => {
      const s = raw.trim();
      if (!s) return { kind: "blank", raw };
      if (s.startsWith("#") || s.startsWith("<!--")) return { kind: "note", raw };
      const parsed = known.get(start + i + 1);
      if (parsed) return { kind: "line", raw, speaker: parsed.speaker, text: parsed.text };
      const m = s.match(SPEAKER_LINE);
      return { kind: "line", raw, speaker: m ? m[1] : "", text: m ? m[2] : s };
    });
  },

  text() {
    return this.prefix + this.items.map(it => it.raw).join("\n") + (this.trailing ? "\n" : "");
  },

  lineNumber(index) {
    // the 1-based line of the file an item is on (what the check and the per-line API call it)
    return (this.prefix.match(/\n/g) || []).length + index + 1;
  },

  commit() {
    // the rows back into the text box, saved by the text box's autosave (same revision checks)
    const text = $("#story-text");
    text.value = this.text();
    text.dispatchEvent(new Event("input"));
  },

  speakers() {
    const names = ((this.check && this.check.speakers) || []).map(s => s.name);
    for (const it of this.items) if (it.kind === "line" && it.speaker && !names.includes(it.speaker)) names.push(it.speaker);
    return names;
  },

  // ------------------------------------------------------------------------------------ drawing
  onCheck(check) {
    this.check = check;
    this.drawVoiceSettings(check.speakers || []);
    if (this.view !== "lines") return;
    const shape = () => this.prefix + this.items.map(it => it.raw + "\u0000" + (it.speaker || "")).join("\n");
    const before = shape();
    this.parse();
    const after = shape();
    if (before !== after || !$("#line-rows").children.length) this.draw(); else this.markProblems();
  },

  draw(focus) {
    // focus: {index, field} to put the caret back after the rows are made again
    const active = document.activeElement;
    const row = active && active.closest && active.closest("#line-rows li");
    focus = focus || (row ? { index: Number(row.dataset.index), field: active.dataset.field,
                              caret: active.selectionStart } : null);
    const names = this.speakers();
    $("#line-rows").replaceChildren(...this.items.map((it, i) => this.row(it, i, names)));
    this.markProblems();
    if (focus) {
      const li = $(`#line-rows li[data-index="${focus.index}"]`);
      const target = li && (li.querySelector(`[data-field="${focus.field}"]`) || li.querySelector("input, button"));
      if (target) {
        target.focus();
        if (target.setSelectionRange && focus.caret != null) target.setSelectionRange(focus.caret, focus.caret);
      }
    }
  },

  row(it, i, names) {
    const n = this.lineNumber(i);
    const small = (text, label, onclick, field) => el("button", { type: "button", class: "small", text,
      "aria-label": label, title: label, "data-field": field, onclick });
    if (it.kind === "blank") {
      return el("li", { class: "line-row para-break", "data-index": i },
        el("span", { class: "muted", text: "¶ paragraph break" }),
        small("✕", `Remove the paragraph break at line ${n}`, () => this.remove(i), "remove"));
    }
    if (it.kind === "note") {
      return el("li", { class: "line-row note", "data-index": i }, el("span", { class: "muted", text: it.raw }));
    }
    const select = el("select", { class: "line-speaker", "data-field": "speaker", "aria-label": `Speaker of line ${n}`,
                                  onchange: (e) => e.target.value === NEW_SPEAKER ? this.askName(i, e.target)
                                    : this.edit(i, { speaker: e.target.value }) },
      ...(it.speaker ? [] : [el("option", { value: "", text: "(default)", selected: true })]),
      ...names.map(name => el("option", { value: name, text: name, selected: name === it.speaker })),
      el("option", { value: NEW_SPEAKER, text: "New speaker…" }));
    const input = el("input", { class: "line-text", "data-field": "text", value: it.text,
                                "aria-label": `Text of line ${n}`, autocomplete: "off",
                                oninput: (e) => this.edit(i, { text: e.target.value }, false),
                                onkeydown: (e) => this.keys(e, i) });
    return el("li", { class: "line-row", "data-index": i, "data-line": n },
      select, input,
      el("span", { class: "line-tools" },
        small("▶", `Play line ${n}`, () => this.play(i), "play"),
        small("Re-render", `Render line ${n} again (the other clips come from the cache)`, () => this.rerender(i), "rerender"),
        small("Clip", `Watch the clip of line ${n} in the latest render`, () => this.showClip(i), "clip"),
        small("↑", `Move line ${n} up`, () => this.move(i, -1), "up"),
        small("↓", `Move line ${n} down`, () => this.move(i, 1), "down"),
        small("¶", `Start a new paragraph before line ${n}`, () => this.insertBreak(i), "break"),
        small("+", `Add a line after line ${n}`, () => this.insertLine(i + 1, it.speaker), "add"),
        small("✕", `Delete line ${n}`, () => this.remove(i), "remove")));
  },

  focusLine(n) {
    const input = $(`#line-rows li[data-line="${n}"] .line-text`);
    if (input) { input.focus(); input.scrollIntoView({ block: "nearest" }); }
  },

  askName(i, select) {
    // "New speaker…": a name field in place of the menu; Enter declares the speaker and gives them the line
    const n = this.lineNumber(i);
    const input = el("input", { class: "line-speaker new-speaker", "data-field": "speaker", maxlength: 40,
                                "aria-label": `Name of the new speaker of line ${n}`, placeholder: "Name",
                                onkeydown: (e) => {
                                  if (e.key === "Enter") { e.preventDefault(); this.addSpeaker(i, input.value.trim()); }
                                  else if (e.key === "Escape") { e.preventDefault(); this.draw({ index: i, field: "speaker" }); }
                                } });
    select.replaceWith(input);
    input.focus();
  },

  async addSpeaker(i, name) {
    if (!name) return;
    try {
      await this.saved();
      const story = await api("POST", `/api/stories/${Studio.id}/speakers`, { name, base_revision: Studio.revision });
      const changed = story.text !== Studio.saved;
      if (changed) { Studio.history.push(Studio.saved); $("#undo-btn").disabled = false; }
      Studio.apply(story);                      // the front matter now declares them (comments kept)
      this.parse();
      const known = this.speakers().find(s => s.toLowerCase() === name.toLowerCase()) || name;
      this.edit(i, { speaker: known });
      this.say(changed ? `Added the speaker ${known}.` : `${known} already speaks in this story.`);
    } catch (e) {
      if (e.status === 409) Studio.showConflict(e.data.story);
      this.say(e.message, true);
    }
  },

  markProblems() {
    const byLine = new Map(((this.check && this.check.problems) || []).filter(p => p.line).map(p => [p.line, p.message]));
    for (const li of document.querySelectorAll("#line-rows li[data-line]")) {
      const why = byLine.get(Number(li.dataset.line));
      li.classList.toggle("has-problem", !!why);
      if (why) li.title = why; else li.removeAttribute("title");
    }
  },

  // ------------------------------------------------------------------------------------ editing
  edit(i, change, redraw = true) {
    // one line rewritten as `Speaker: text` (only that line of the file changes)
    const it = this.items[i];
    Object.assign(it, change);
    it.raw = it.speaker ? `${it.speaker}: ${it.text}` : it.text;
    this.commit();
    if (redraw) this.draw({ index: i, field: "speaker" });
  },

  insertLine(at, speaker) {
    const names = this.speakers();
    const who = speaker || (this.items.slice(0, at).reverse().find(it => it.kind === "line") || {}).speaker || names[0] || "Narrator";
    this.items.splice(at, 0, { kind: "line", speaker: who, text: "", raw: `${who}: ` });
    this.commit();
    this.draw({ index: at, field: "text", caret: 0 });
  },

  insertBreak(at) {
    this.items.splice(at, 0, { kind: "blank", raw: "" });
    this.commit();
    this.draw({ index: at + 1, field: "break" });
  },

  remove(i) {
    this.items.splice(i, 1);
    this.commit();
    const next = Math.min(i, this.items.length - 1);
    this.draw(next >= 0 ? { index: next, field: this.items[next].kind === "line" ? "text" : "remove" } : null);
    if (next < 0) $("#add-line").focus();
  },

  move(i, by) {
    const j = i + by;
    if (j < 0 || j >= this.items.length) return;
    [this.items[i], this.items[j]] = [this.items[j], this.items[i]];
    this.commit();
    const active = document.activeElement;
    this.draw({ index: j, field: (active && active.dataset.field) || "text" });
  },

  keys(e, i) {
    if (e.key === "Enter" && !e.isComposing) {
      e.preventDefault();
      if (e.shiftKey) { this.items.splice(i + 1, 0, { kind: "blank", raw: "" }); this.insertLine(i + 2, this.items[i].speaker); }
      else this.insertLine(i + 1, this.items[i].speaker);
    } else if (e.altKey && (e.key === "ArrowUp" || e.key === "ArrowDown")) {
      e.preventDefault();
      this.move(i, e.key === "ArrowUp" ? -1 : 1);
    } else if (e.key === "Backspace" && e.target.value === "") {
      e.preventDefault();
      const prev = i - 1;
      this.items.splice(i, 1);
      this.commit();
      this.draw(prev >= 0 ? { index: prev, field: "text", caret: (this.items[prev].text || "").length } : null);
    }
  },

  // ------------------------------------------------------------------------------ per-line media
  say(msg, isError = false) {
    const state = $("#line-state");
    state.textContent = msg;
    state.classList.toggle("error", isError);
  },

  async saved() {
    // per-line requests name the line by its number in the saved text: save first
    await Studio.save();
    if ($("#story-text").value !== Studio.saved) throw new Error("Save the story first (it has unsaved changes).");
  },

  async play(i) {
    const n = this.lineNumber(i);
    try {
      await this.saved();
      this.say(`Making line ${n}'s voice…`);
      const res = await fetch(`/api/stories/${Studio.id}/lines/${n}/audio`);
      if (!res.ok) throw new Error(((await res.json().catch(() => null)) || {}).error || `${res.status} ${res.statusText}`);
      const audio = $("#line-audio");
      if (audio.src.startsWith("blob:")) URL.revokeObjectURL(audio.src);
      audio.src = URL.createObjectURL(await res.blob());
      audio.hidden = false;
      audio.dataset.line = String(n);
      this.say(`Line ${n}`);
      await audio.play().catch(() => {});            // autoplay may be refused: the controls are there
    } catch (e) { this.say(e.message, true); }
  },

  async rerender(i) {
    const n = this.lineNumber(i);
    try {
      await this.saved();
      const job = await api("POST", `/api/stories/${Studio.id}/lines/${n}/render`, {});
      this.say(`Rendering again for line ${n} (${job.clip}); the other clips come from the cache.`);
      Render.show(job);
      Render.follow(job.id);
      Studio.refreshRenders();
    } catch (e) { this.say(e.message, true); }
  },

  async showClip(i) {
    // the latest finished render, played from this line's clip
    const n = this.lineNumber(i);
    try {
      const renders = (await api("GET", `/api/renders?story=${Studio.id}`)).renders;
      const job = renders.find(r => r.status === "done");
      if (!job) throw new Error("No video yet: render the story first.");
      const timeline = await (await fetch(job.files.timeline)).json();
      const clip = (timeline.clips || []).find(c => c.line === n);
      if (!clip) throw new Error(`The latest video has no clip for line ${n}; render again.`);
      await Watch.load(job);
      // the video may predate an edit: say so when its words for this line are not the row's
      const said = (timeline.sentences || []).filter(c => c.line === n).map(c => c.text).join(" ");
      const norm = (t) => t.replace(/\s+/g, " ").trim();
      const stale = norm(said) !== norm(this.items[i].text || "") || clip.speaker !== this.items[i].speaker;
      const video = $("#player");
      video.currentTime = clip.start + 0.001;
      video.scrollIntoView({ block: "nearest" });
      video.play().catch(() => {});
      this.say(`Line ${n}: ${clip.id} of the latest video, from ${fmtTime(clip.start)}.` +
               (stale ? " The line was changed since: render again to see the change." : ""), false);
    } catch (e) { this.say(e.message, true); }
  },

  // ------------------------------------------------------------------ rate, speed, pitch per speaker
  drawVoiceSettings(speakers) {
    const box = $("#voice-settings-body");
    if (!box) return;
    const speed = (sp) => sp.rate ? Math.round(sp.rate / 1.75) / 100 : null;       // 175 words/min = 1×
    const rows = [...box.querySelectorAll(".voice-row")].map(r => r.dataset.speaker);
    if (rows.join("\n") === speakers.map(sp => sp.name).join("\n")) {
      for (const sp of speakers) {       // same speakers: only the values, never a field being typed in
        const values = { rate: sp.rate, speed: speed(sp), pitch: sp.pitch };
        for (const input of box.querySelectorAll(`input[data-speaker="${CSS.escape(sp.name)}"]`)) {
          if (!input.dataset.typing) input.value = values[input.dataset.key] ?? "";
        }
      }
      return;
    }
    const field = (sp, key, label, attrs, value) => {
      const id = `${key}-${sp.name.replace(/\W+/g, "_")}`;
      return el("span", { class: "field" }, el("label", { for: id, text: label }),
        el("input", { id, type: "number", value: value ?? "", placeholder: "default", "data-speaker": sp.name,
                      "data-key": key, ...attrs, oninput: (e) => { e.target.dataset.typing = "1"; },
                      onchange: (e) => { delete e.target.dataset.typing; this.setVoice(sp.name, key, e.target); } }));
    };
    box.replaceChildren(...speakers.map(sp => el("div", { class: "voice-row", "data-speaker": sp.name },
      el("strong", { text: sp.name }),
      field(sp, "rate", "Rate (words/min)", { min: 80, max: 450, step: 1 }, sp.rate),
      field(sp, "speed", "Speed ×", { min: 0.5, max: 2, step: 0.05 }, sp.rate ? Math.round(sp.rate / 1.75) / 100 : null),
      field(sp, "pitch", "Pitch", { min: 0, max: 99, step: 1 }, sp.pitch))));
  },

  async setVoice(name, key, input) {
    // one field of one speaker, set in the front matter text in place (POST .../cast; comments kept)
    if (input.value !== "" && !input.checkValidity()) { input.reportValidity(); return; }
    const value = input.value === "" ? null : Number(input.value);
    await Studio.cast({ speakers: { [name]: { [key]: value } } });
  },
};

document.addEventListener("DOMContentLoaded", () => Lines.init());
