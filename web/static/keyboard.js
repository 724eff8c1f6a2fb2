// Keyboard use of the studio: the portrait gallery is one Tab stop (arrow keys move inside it, "roving
// tabindex"), so Tab goes editor → check → settings → cast → Render without walking every gallery button.
"use strict";

(() => {
  const FOCUSABLE = "button, input, select, a[href]";
  let current = 0;                                  // the gallery control that holds the Tab stop

  function controls(gallery) {
    return [...gallery.querySelectorAll(FOCUSABLE)].filter(c => !c.disabled);
  }

  function rove(gallery) {
    const all = controls(gallery);
    current = Math.min(current, Math.max(0, all.length - 1));
    all.forEach((c, i) => c.setAttribute("tabindex", i === current ? "0" : "-1"));
  }

  function move(gallery, to) {
    const all = controls(gallery);
    if (!all.length) return;
    current = (to + all.length) % all.length;
    rove(gallery);
    all[current].focus();
  }

  document.addEventListener("DOMContentLoaded", () => {
    const gallery = document.querySelector("#gallery");
    if (!gallery) return;
    gallery.setAttribute("aria-description", "One Tab stop: arrow keys move between its buttons");
    new MutationObserver(() => rove(gallery)).observe(gallery, { childList: true });
    gallery.addEventListener("focusin", (e) => {
      const i = controls(gallery).indexOf(e.target);
      if (i >= 0 && i !== current) { current = i; rove(gallery); }
    });
    gallery.addEventListener("keydown", (e) => {
      const i = controls(gallery).indexOf(e.target);
      if (i < 0) return;
      const inText = e.target.tagName === "INPUT";      // a name field keeps ←/→ for its caret
      const step = { ArrowDown: 1, ArrowUp: -1, ...(inText ? {} : { ArrowRight: 1, ArrowLeft: -1 }) }[e.key];
      if (step) { e.preventDefault(); move(gallery, i + step); }
      else if (e.key === "Home" && !inText) { e.preventDefault(); move(gallery, 0); }
      else if (e.key === "End" && !inText) { e.preventDefault(); move(gallery, controls(gallery).length - 1); }
    });
    rove(gallery);
  });
})();
