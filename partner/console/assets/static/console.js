// blindjoin console: small progressive enhancements. Every page works
// without this file; it only refreshes a run's progress in place, starts
// printing, and submits the file picker when a file is chosen.
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  var print = document.getElementById("print");
  if (print) {
    print.addEventListener("click", function () { window.print(); });
  }
  var file = document.getElementById("file");
  if (file) {
    file.addEventListener("change", function () { file.form.submit(); });
  }
  var progress = document.getElementById("progress");
  if (progress && !document.getElementById("run-error")) {
    watch(progress);
  }
});

// watch polls the run's status every second until it ends, then reloads
// the page so that the results (or the error) are rendered by the server.
function watch(box) {
  var url = box.getAttribute("data-url");
  var phase = document.getElementById("phase");
  var bar = document.getElementById("bar");
  var detail = document.getElementById("detail");
  var timer = setInterval(function () {
    fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.json(); })
      .then(function (st) {
        if (!st.running) {
          clearInterval(timer);
          window.location.reload();
          return;
        }
        phase.textContent = st.phase;
        if (st.percent >= 0) { bar.value = st.percent; } else { bar.removeAttribute("value"); }
        var parts = [];
        if (st.rate) { parts.push(st.rate); }
        if (st.eta) { parts.push("ETA " + st.eta); }
        parts.push("running for " + st.elapsed);
        detail.textContent = parts.join(" · ");
      })
      .catch(function () { /* the next tick tries again */ });
  }, 1000);
}
