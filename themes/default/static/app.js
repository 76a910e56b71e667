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

  // The triage queue without the mouse: j/k move, o or Enter opens, x selects, a assigns,
  // s sets the status, / searches, ? shows the keys. Without this script the table and the
  // bulk form below it do everything.
  const queue = document.getElementById("queue");
  if (queue) {
    const rows = () => Array.from(queue.querySelectorAll("tr.item"));
    let at = -1;
    const move = (i) => {
      const all = rows();
      if (!all.length) return;
      at = Math.max(0, Math.min(all.length - 1, i));
      all.forEach((r, n) => r.classList.toggle("current", n === at));
      const link = all[at].querySelector("a.item-link");
      if (link) link.focus();
    };
    const current = () => rows()[at];
    const openDialog = (id, row) => {
      const d = document.getElementById(id);
      if (!d) return;
      if (row) {
        d.querySelector("input[name=id]").value = row.dataset.id;
        d.querySelector("[data-item-title]").textContent = row.dataset.title; // text, never HTML
        const who = d.querySelector("#assign-username");
        if (who) {
          // Suggest the members of the item's team.
          const list = document.getElementById(`members-${row.dataset.team}`);
          who.setAttribute("list", list ? list.id : "members-all");
          who.value = "";
        }
        const st = d.querySelector("#status-choice");
        if (st) st.value = row.dataset.status;
      }
      d.showModal();
      const first = d.querySelector("input:not([type=hidden]), select, button");
      if (first) first.focus();
    };
    // Each row's own buttons (shown only with this script): assign or set the status by tap.
    queue.querySelectorAll("[data-row-action]").forEach((b) => {
      b.hidden = false;
      b.addEventListener("click", () => {
        const row = b.closest("tr.item");
        move(rows().indexOf(row));
        openDialog(b.dataset.rowAction, row);
      });
    });
    document.querySelectorAll("[data-open-dialog]").forEach((b) =>
      b.addEventListener("click", () => openDialog(b.dataset.openDialog, null)));
    document.querySelectorAll("[data-close-dialog]").forEach((b) =>
      b.addEventListener("click", () => b.closest("dialog").close()));
    // Clicking a row (not a control in it) makes it the current one.
    queue.addEventListener("click", (e) => {
      const row = e.target.closest("tr.item");
      if (row && !e.target.closest("a, input, button, summary")) move(rows().indexOf(row));
    });
    document.addEventListener("keydown", (e) => {
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.target.closest("input, select, textarea, dialog[open]")) return;
      const row = current();
      switch (e.key) {
        case "j": move(at + 1); break;
        case "k": move(at - 1); break;
        case "o": if (row) window.location = row.querySelector("a.item-link").href; break;
        case "x": if (row) { const c = row.querySelector("input[type=checkbox]"); c.checked = !c.checked; } break;
        case "a": if (row) openDialog("assign-dialog", row); break;
        case "s": if (row) openDialog("status-dialog", row); break;
        case "/": document.getElementById("queue-q").focus(); break;
        case "?": openDialog("keys-dialog", null); break;
        default: return;
      }
      e.preventDefault();
    });
  }
});
