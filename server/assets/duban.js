// Duban's pages: draws each <canvas data-chart="bar|pie" data-labels='[…]' data-values='[…]'>
// with the vendored Chart.js. The figures come rendered by the server; nothing is fetched.
(function () {
  "use strict";
  var palette = ["#2f6fb0", "#e0a100", "#c23b22", "#5b8c3a", "#7a4fa3", "#2a9d8f",
    "#b5651d", "#6c757d", "#d4507a", "#3d5a80"];
  function draw(canvas) {
    if (canvas.dataset.drawn || typeof Chart === "undefined") return;
    var labels = JSON.parse(canvas.dataset.labels || "[]");
    var values = JSON.parse(canvas.dataset.values || "[]");
    var colours = canvas.dataset.colours ? JSON.parse(canvas.dataset.colours) : null;
    var kind = canvas.dataset.chart === "pie" ? "pie" : "bar";
    new Chart(canvas, {
      type: kind,
      data: {
        labels: labels,
        datasets: [{
          label: canvas.dataset.title || "",
          data: values,
          backgroundColor: colours || (kind === "pie" ? palette : palette[0])
        }]
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        plugins: { legend: { display: kind === "pie" } },
        indexAxis: canvas.dataset.horizontal ? "y" : "x",
        // Every unit named on its bar, not every other one.
        scales: kind === "pie" ? {} : { x: { ticks: { autoSkip: false, precision: 0 } },
                                         y: { ticks: { autoSkip: false, precision: 0 } } }
      }
    });
    canvas.dataset.drawn = "1";
  }
  function drawAll(root) {
    // A chart's height comes as data-height (the pages' CSP admits no inline style).
    (root || document).querySelectorAll(".chart[data-height]").forEach(function (box) {
      box.style.height = Number(box.dataset.height) + "px";
    });
    (root || document).querySelectorAll("canvas[data-chart]").forEach(draw);
  }
  document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  document.addEventListener("htmx:afterSwap", function (e) { drawAll(e.target); });
})();

// Registration: show only the chosen category's attributes; the upload's progress bar.
(function () {
  function attrs() {
    var chosen = document.querySelector("#category");
    if (!chosen) return;
    document.querySelectorAll("fieldset.attrs").forEach(function (f) {
      f.hidden = f.dataset.category !== chosen.value;
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    attrs();
    var chosen = document.querySelector("#category");
    if (chosen) chosen.addEventListener("change", attrs);
  });
  document.addEventListener("htmx:xhr:progress", function (e) {
    var bar = e.target.querySelector && e.target.querySelector("progress.upload");
    if (bar && e.detail.lengthComputable) {
      bar.max = e.detail.total;
      bar.value = e.detail.loaded;
    }
  });
})();

// Phone width: the top bar's menu button (its aria-expanded opens the menu, see the CSS),
// tables scrolling inside their own labelled box instead of the page, and the notice that
// the mobile web needs the network.
(function () {
  "use strict";
  function menu() {
    var button = document.querySelector("header.top .menu-toggle");
    if (!button) return;
    button.addEventListener("click", function () {
      var open = button.getAttribute("aria-expanded") === "true";
      button.setAttribute("aria-expanded", open ? "false" : "true");
    });
    document.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
        button.setAttribute("aria-expanded", "false");
        button.focus();
      }
    });
  }
  // The name of a table's box: its caption, else the heading of its section, else the
  // nearest heading before it.
  function nameOf(table) {
    if (table.caption && table.caption.textContent.trim()) return table.caption.textContent.trim();
    if (table.getAttribute("aria-label")) return table.getAttribute("aria-label");
    var box = table.closest("section, article, details");
    var h = box && box.querySelector("h1, h2, h3, h4, summary");
    if (h && h.textContent.trim()) return h.textContent.trim();
    var all = Array.prototype.slice.call(document.querySelectorAll("main h1, main h2, main h3"));
    for (var i = all.length - 1; i >= 0; i--) {
      if (all[i].compareDocumentPosition(table) & Node.DOCUMENT_POSITION_FOLLOWING) {
        return all[i].textContent.trim();
      }
    }
    return said("tTable");
  }
  function wrapTables(root) {
    (root || document).querySelectorAll("main table").forEach(function (table) {
      var parent = table.parentElement;
      var box = parent.classList.contains("table-wrap") || parent.classList.contains("ledger-wrap")
        ? parent : null;
      if (!box) {
        box = document.createElement("div");
        box.className = "table-wrap";
        parent.insertBefore(box, table);
        box.appendChild(table);
      }
      if (!box.hasAttribute("role")) {
        box.setAttribute("role", "region");
        box.setAttribute("tabindex", "0");
        box.setAttribute("aria-label", nameOf(table));
      }
    });
  }
  function offline() {
    var slot = document.querySelector("#offline");
    if (!slot) return;
    function show() {
      if (slot.firstChild) return;
      var p = document.createElement("p");
      p.textContent = said("tOffline");
      slot.appendChild(p);
    }
    function hide() { slot.textContent = ""; }
    window.addEventListener("offline", show);
    window.addEventListener("online", hide);
    if (navigator.onLine === false) show();
  }
  document.addEventListener("DOMContentLoaded", function () {
    menu();
    wrapTables(document);
    offline();
  });
  document.addEventListener("htmx:afterSwap", function (e) {
    wrapTables(e.target.closest ? (e.target.closest("main") || document) : document);
  });
})();

// A sentence of the page's language for the scripts: the page's <body> carries them as
// `data-t-*` attributes from the server's catalog (base.html, login.html); the scripts have
// none of their own.
function said(name) {
  return (document.body && document.body.dataset[name]) || "";
}

// Errors of htmx's requests are shown, not swallowed: htmx swaps only 2xx answers, so a
// refusal answered as an error page (403, 404, 409, 422, 500 …) is shown at the form that
// asked — its message and stable code taken from the page — and a request sent to sign in
// (the session ended) takes the whole window to the sign-in page.
(function () {
  "use strict";
  function at(elt) { return (elt && elt.closest && elt.closest("form")) || elt; }
  function clear(elt) {
    var place = at(elt);
    if (!place || !place.querySelectorAll) return;
    place.querySelectorAll(".htmx-refusal").forEach(function (n) { n.remove(); });
  }
  function show(elt, node) {
    var place = at(elt);
    if (!place) return;
    clear(elt);
    node.classList.add("htmx-refusal");
    node.setAttribute("role", "alert");
    place.appendChild(node);
  }
  function refusalOf(xhr) {
    var doc = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
    var found = doc.querySelector(".error[data-code]");
    if (found) return document.importNode(found, true);
    var box = document.createElement("div");
    box.className = "error";
    box.dataset.status = String(xhr.status);
    box.textContent = said("tFailed").replace("{status}", String(xhr.status));
    return box;
  }
  document.addEventListener("htmx:beforeRequest", function (e) { clear(e.detail.elt); });
  document.addEventListener("htmx:beforeSwap", function (e) {
    var xhr = e.detail.xhr;
    var url = xhr.responseURL ? new URL(xhr.responseURL) : null;
    if (url && url.origin === location.origin && url.pathname === "/login") {
      e.detail.shouldSwap = false;
      location.assign("/login?next=" + encodeURIComponent(location.pathname));
    }
  });
  document.addEventListener("htmx:responseError", function (e) {
    show(e.detail.elt, refusalOf(e.detail.xhr));
  });
  document.addEventListener("htmx:sendError", function (e) {
    var box = document.createElement("div");
    box.className = "error";
    box.dataset.code = "network";
    box.textContent = said("tNotSent");
    show(e.detail.elt, box);
  });
})();

// DingTalk 免登 (/sso/dingtalk): DingTalk's JSAPI, loaded by that page alone, gives a code
// for the signed-in DingTalk user; the page's form posts it. Outside DingTalk there is no
// code: the page says so and offers the password sign-in.
(function () {
  var form = document.getElementById("sso-dingtalk");
  if (!form) return;
  function outside() {
    var status = document.getElementById("sso-status");
    var note = document.getElementById("sso-outside");
    if (status) status.hidden = true;
    if (note) note.hidden = false;
  }
  var dd = window.dd;
  if (!dd || !dd.ready || !dd.runtime || (dd.env && dd.env.platform === "notInDingTalk")) {
    outside();
    return;
  }
  dd.ready(function () {
    dd.runtime.permission.requestAuthCode({
      corpId: form.dataset.corpId,
      onSuccess: function (result) {
        form.elements.code.value = result.code;
        form.submit();
      },
      onFail: outside
    });
  });
  if (dd.error) dd.error(outside);
})();
