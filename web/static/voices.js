// Deepstory studio: the voice picker. One searchable list per speaker, neural voices first, grouped by
// family and language, each entry with a preview; "automatic" says which voice it resolves to; a typed
// spec is checked by the server (the render's own parser) before it is set. Keys: ↑/↓ move, Enter
// chooses (or checks a typed spec), Shift+Enter previews, Escape closes. Uses el/api from studio.js.
"use strict";

const FAMILY_NAMES = { kokoro: "Kokoro · neural", piper: "Piper · neural", espeak: "eSpeak · synthetic",
                       dctts: "DCTTS · neural" };
const SEARCH_DELAY_MS = 150;          // search once typing pauses this long

const VoicePicker = {
  automatic: {},                      // speaker name -> {spec, info} of "automatic"; from the saved story
  labels: {},                         // voice spec -> its readable label (the speakers' chosen voices)
  seq: 0,

  async loadAutomatic(storyId) {
    // which voice "automatic" is per speaker (the render's own resolution), shown next to each field
    try {
      const data = await api("GET", `/api/stories/${storyId}/voices`);
      this.automatic = Object.fromEntries(data.speakers.map(s => [s.name, s.automatic]));
      for (const s of data.speakers) if (s.info) this.labels[s.voice] = s.info.label;
    } catch (e) { this.automatic = {}; }
    for (const box of document.querySelectorAll(".voice-picker")) box.refreshCurrent && box.refreshCurrent();
  },

  autoText(name) {
    const a = this.automatic[name];
    return a ? `automatic → ${a.info ? a.info.label : a.spec}` : "automatic";
  },

  field(sp, inputId, onChoose) {
    // the picker for one speaker; onChoose(spec) sets it in the story ("" = automatic)
    const n = ++this.seq, listId = `vp-list-${n}`, errId = `vp-err-${n}`, curId = `vp-cur-${n}`;
    const input = el("input", { id: inputId, class: "vp-input", role: "combobox", "aria-expanded": "false",
      "aria-controls": listId, "aria-autocomplete": "list", "aria-describedby": `${curId} ${errId}`,
      autocomplete: "off", spellcheck: "false", value: sp.voice || "", placeholder: "automatic" });
    const list = el("ul", { id: listId, class: "vp-list", role: "listbox", "aria-label": `Voices for ${sp.name}`, hidden: true });
    const current = el("div", { id: curId, class: "vp-current muted" });
    const error = el("p", { id: errId, class: "vp-error error", role: "alert", hidden: true });
    const audio = el("audio", { class: "vp-audio", controls: true, hidden: true });
    const box = el("div", { class: "voice-picker", "data-speaker": sp.name });
    let items = [], active = -1, timer = null, asked = 0;

    const showError = (msg) => {
      error.textContent = msg; error.hidden = !msg;
      input.setAttribute("aria-invalid", msg ? "true" : "false");
    };
    box.refreshCurrent = () => {
      current.textContent = sp.voice ? (this.labels[sp.voice] || sp.voice) : this.autoText(sp.name);
      input.placeholder = this.autoText(sp.name);
    };
    const open = (yes) => {
      list.hidden = !yes; input.setAttribute("aria-expanded", String(yes));
      if (!yes) { active = -1; input.removeAttribute("aria-activedescendant"); }
    };
    const setActive = (i) => {
      const opts = list.querySelectorAll("[role=option]");
      if (!opts.length) return;
      active = (i + opts.length) % opts.length;
      opts.forEach((o, k) => o.setAttribute("aria-selected", String(k === active)));
      input.setAttribute("aria-activedescendant", opts[active].id);
      opts[active].scrollIntoView({ block: "nearest" });
    };
    const preview = async (spec) => {
      // a failed preview is an error message, never a silent empty player
      showError("");
      const voice = spec || (this.automatic[sp.name] || {}).spec;
      if (!voice) { showError("Preview failed: no voice to preview"); return; }
      audio.hidden = true;
      try {
        const res = await fetch("/api/voices/preview?voice=" + encodeURIComponent(voice));
        if (!res.ok) {
          const data = await res.json().catch(() => null);
          throw new Error((data && data.error) || `${res.status} ${res.statusText}`);
        }
        audio.src = URL.createObjectURL(await res.blob());
        audio.hidden = false;
        await audio.play().catch(() => {});
        box.dataset.previewed = voice;
      } catch (e) { showError(`Preview failed: ${e.message}`); }
    };
    const choose = async (spec) => {
      open(false);
      showError("");
      if (spec) {           // the server checks it with the render's parser: unknown specs are refused here
        const check = await api("GET", "/api/voices/check?voice=" + encodeURIComponent(spec));
        if (!check.ok) { input.value = spec; showError(check.problem); return; }
        this.labels[spec] = check.voice.label;
      }
      input.value = spec;
      sp.voice = spec || null;
      box.refreshCurrent();
      await onChoose(spec);
    };
    const option = (spec, text, i) => el("li", { id: `${listId}-${i}`, role: "option", "aria-selected": "false",
        class: "vp-option", "data-spec": spec,
        onmousedown: (e) => e.preventDefault(),           // keep focus in the field
        onclick: () => choose(spec) },
      el("span", { class: "vp-label", text }),
      el("button", { type: "button", class: "small vp-play", tabindex: "-1", text: "▶",
        "aria-label": `Preview ${text}`, title: "Preview (Shift+Enter)",
        onmousedown: (e) => e.preventDefault(),
        onclick: (e) => { e.stopPropagation(); preview(spec); } }));
    const search = async () => {
      const q = input.value.trim() === (sp.voice || "") ? "" : input.value.trim();
      const ticket = ++asked;
      const data = await api("GET", "/api/voices/catalog?q=" + encodeURIComponent(q));
      if (ticket !== asked) return;                        // a newer search is on its way
      items = data.voices;
      const rows = [];
      let i = 0, group = "";
      if (!q || "automatic".startsWith(q.toLowerCase())) rows.push(option("", this.autoText(sp.name), i++));
      for (const v of items) {
        const g = `${FAMILY_NAMES[v.family] || v.family} — ${v.language}`;
        if (g !== group) { group = g; rows.push(el("li", { role: "presentation", class: "vp-group", text: g })); }
        rows.push(option(v.spec, v.label, i++));
      }
      if (!items.length) rows.push(el("li", { role: "presentation", class: "vp-none muted",
        text: q.includes(":") ? "No listed voice; press Enter to use this spec" : "No voice matches" }));
      else if (data.total > items.length) rows.push(el("li", { role: "presentation", class: "vp-none muted",
        text: `${data.total - items.length} more: type more words (language, female/male, family)` }));
      list.replaceChildren(...rows);
      open(true);
      active = -1;
    };

    input.addEventListener("focus", () => search());
    input.addEventListener("input", () => { showError(""); clearTimeout(timer); timer = setTimeout(search, SEARCH_DELAY_MS); });
    input.addEventListener("blur", () => setTimeout(() => open(false), 150));
    input.addEventListener("keydown", (e) => {
      const opts = list.querySelectorAll("[role=option]");
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        if (list.hidden) { search(); return; }
        setActive(active < 0 && e.key === "ArrowUp" ? -1 : active + (e.key === "ArrowDown" ? 1 : -1));
      } else if (e.key === "Enter") {
        e.preventDefault();
        const spec = active >= 0 && !list.hidden ? opts[active].dataset.spec : input.value.trim();
        if (e.shiftKey) preview(spec); else choose(spec).catch(err => showError(err.message));
      } else if (e.key === "Escape") {
        if (!list.hidden) { e.preventDefault(); open(false); input.value = sp.voice || ""; showError(""); }
      }
    });
    box.refreshCurrent();
    box.append(
      el("div", { class: "field" }, el("label", { for: inputId, text: "Voice" }), input,
        el("button", { type: "button", class: "small", text: "Preview", "aria-label": `Preview ${sp.name}'s voice`,
          onclick: () => preview(input.value.trim()) })),
      current, error, list, audio);
    return box;
  },
};
window.VoicePicker = VoicePicker;
