// Progressive enhancement only: every page works without this file.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // Ask before logging out every device.
  for (const form of document.querySelectorAll('form[action="/settings/logout-all"]')) {
    form.addEventListener("submit", (e) => {
      if (!window.confirm(document.documentElement.lang === "en" ? "Log out on every device?" : "确定退出所有设备？")) {
        e.preventDefault();
      }
    });
  }

  // While composing: topics that look like this one ("is it one of these? press me too instead").
  const title = document.getElementById("f-title");
  const box = document.getElementById("similar");
  if (title && box) {
    let timer = null;
    const show = async () => {
      const board = document.getElementById("f-board");
      const product = document.getElementById("f-product");
      if (title.value.trim().length < 2) {
        box.hidden = true;
        return;
      }
      const params = new URLSearchParams({
        title: title.value,
        board: board ? board.value : "",
        product: product ? product.value : "",
      });
      try {
        const res = await fetch(`/api/v1/search/similar?${params}`, { headers: { Accept: "application/json" } });
        if (!res.ok) return;
        const { items } = await res.json();
        box.replaceChildren();
        if (!items.length) {
          box.hidden = true;
          return;
        }
        const heading = document.createElement("p");
        heading.textContent = box.dataset.heading;
        const list = document.createElement("ul");
        for (const it of items) {
          const li = document.createElement("li");
          const a = document.createElement("a");
          a.href = `/t/${it.topic_id}`;
          a.textContent = it.title; // text, never HTML
          li.append(a);
          list.append(li);
        }
        box.append(heading, list);
        box.hidden = false;
      } catch (_) {
        // Suggestions are a nicety; the form works without them.
      }
    };
    title.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(show, 350);
    });
  }
});
