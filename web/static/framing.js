// Deepstory studio: the live framing preview. The first frame of each speaker as the render will crop it
// for the story's shape, framing and layout (computed on the server by the render's own framing code, from
// the saved story), refreshed whenever the settings or the cast change.
"use strict";

const FramingPreview = {
  shown: "",                          // what the pictures on screen were made for
  timer: null,

  refresh(storyId, check, revision) {
    if (!check || !check.frame_size) return;
    const key = JSON.stringify([revision, check.aspect, check.framing, check.layout, check.frame_size,
                                (check.speakers || []).map(s => [s.name, s.portrait, s.auto_portrait])]);
    if (key === this.shown) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.load(storyId, key), 250);
  },

  async load(storyId, key) {
    const box = document.querySelector("#framing-preview");
    if (!box) return;
    box.setAttribute("aria-busy", "true");
    try {
      const data = await api("GET", `/api/stories/${storyId}/framing`);
      const [w, h] = data.size;
      const scale = Math.min(1, 180 / Math.max(w, h));            // thumbnails; the image itself is ≤ 360 px
      box.replaceChildren(
        el("p", { class: "muted", text: `First frames as they will be cropped (${data.framing}, ${data.layout === "duo" ? "duo scenes side by side" : "one speaker at a time"}):` }),
        ...data.views.map(v => el("figure", { class: "framing-view", "data-view": v.view },
          el("img", { src: v.url, alt: `First frame: ${v.label}`, width: Math.round(w * scale), height: Math.round(h * scale) }),
          el("figcaption", { text: `${v.label} · ${w} × ${h}` }))));
      this.shown = key;
      box.dataset.key = key;
    } catch (e) {
      box.replaceChildren(el("p", { class: "error", text: `No framing preview: ${e.message}` }));
    } finally { box.removeAttribute("aria-busy"); }
  },
};
window.FramingPreview = FramingPreview;
