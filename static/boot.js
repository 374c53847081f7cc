// Boot progress while Pyodide loads (it takes seconds): stage text, elapsed time,
// and a clear message if Python never comes up. Python removes #boot when ready.
const boot = document.getElementById("boot");
const stage = document.getElementById("boot-stage");
const elapsed = document.getElementById("boot-elapsed");
const started = performance.now();
const BOOT_TIMEOUT_S = 90;

const tick = setInterval(() => {
  const seconds = (performance.now() - started) / 1000;
  elapsed.textContent = `${seconds.toFixed(1)} s`;
  if (document.body.dataset.ready === "true") {
    clearInterval(tick);
  } else if (seconds > BOOT_TIMEOUT_S) {
    clearInterval(tick);
    boot.classList.add("failed");
    stage.textContent = "Python did not start. Check the browser console, then reload.";
  }
}, 100);

addEventListener("py:progress", (event) => {
  if (typeof event.detail === "string") stage.textContent = `${event.detail}…`;
});
addEventListener("error", (event) => {
  if (document.body.dataset.ready !== "true") {
    boot.classList.add("failed");
    stage.textContent = `Startup failed: ${event.message}`;
  }
});
