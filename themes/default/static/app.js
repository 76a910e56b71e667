// Progressive enhancement only: every page works without this file.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // A form that came back with errors: their summary takes the focus, so it is read first.
  document.getElementById("error-summary")?.focus();

  // Ask before logging out every device.
  for (const form of document.querySelectorAll('form[action="/settings/logout-all"]')) {
    form.addEventListener("submit", (e) => {
      if (!window.confirm(document.documentElement.lang === "en" ? "Log out on every device?" : "确定退出所有设备？")) {
        e.preventDefault();
      }
    });
  }

  // While composing: the board decides which kinds are offered, and the bug fields show for bugs
  // only. Without this script every kind and field shows and the server says what is refused.
  const boardSelect = document.getElementById("f-board");
  const kindSelect = document.getElementById("f-kind");
  const bugFields = document.querySelector(".bug-fields");
  if (boardSelect && kindSelect) {
    const sync = () => {
      const kinds = boardSelect.selectedOptions[0]?.dataset.kinds;
      const allowed = kinds ? kinds.split(" ") : [...kindSelect.options].map((o) => o.value);
      for (const o of kindSelect.options) {
        o.disabled = !allowed.includes(o.value);
        o.hidden = o.disabled;
      }
      if (kindSelect.selectedOptions[0]?.disabled) kindSelect.value = allowed[0];
      if (bugFields) bugFields.hidden = kindSelect.value !== "bug";
    };
    boardSelect.addEventListener("change", sync);
    kindSelect.addEventListener("change", sync);
    sync();
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
