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
});
