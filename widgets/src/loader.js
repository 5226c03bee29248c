// The `_esm` every autograd_lab widget sends: a few hundred bytes. The real code (widgets.js, with
// Graphviz compiled to WASM inlined, ~1.3 MB) is asked from the kernel over the widget's comm ONCE
// per page and shared by every widget through a promise on `globalThis`, keyed by the bundle's
// hash so that a rebuilt bundle is fetched again. Python replaces the two placeholders below.
const KIND = "__AUTOGRAD_LAB_KIND__";
const HASH = "__AUTOGRAD_LAB_HASH__";
const KEY = "__autograd_lab_widgets__";

function bundle(model) {
  const registry = (globalThis[KEY] ||= {});
  let entry = registry[HASH];
  if (!entry) {
    entry = registry[HASH] = { asked: 0 };
    entry.promise = new Promise((resolve, reject) => { entry.resolve = resolve; entry.reject = reject; });
    // a failed load must not poison the page: the next render asks again
    entry.promise.catch(() => { if (registry[HASH] === entry) delete registry[HASH]; });
  }
  if (entry.settled) return entry.promise;
  const onMessage = (msg, buffers) => {
    if (!msg || msg.type !== "agl:bundle" || msg.hash !== HASH || entry.settled) return;
    entry.settled = true;
    if (msg.error || !buffers || !buffers.length) {
      entry.reject(new Error(msg.error || "the kernel sent no widget bundle"));
      return;
    }
    const blob = new Blob([buffers[0]], { type: "text/javascript" });
    const url = URL.createObjectURL(blob);
    import(/* webpackIgnore: true */ url).then(entry.resolve, entry.reject);
  };
  model.on("msg:custom", onMessage);
  // One request is enough; another widget asks again only if the first answer is slow to come
  // (its model may have been closed before the kernel replied).
  const now = Date.now();
  if (!entry.asked || now - entry.asked > 5000) {
    entry.asked = now;
    model.send({ type: "agl:bundle-request", hash: HASH });
  }
  entry.promise.finally(() => model.off("msg:custom", onMessage)).catch(() => {});
  return entry.promise;
}

async function render({ model, el }) {
  const note = document.createElement("div");
  note.textContent = "autograd_lab: loading the widget code from the kernel…";
  note.style.cssText = "font: 12px var(--jp-ui-font-family, sans-serif); opacity: .7; padding: 4px";
  el.append(note);
  // a widget restored from a saved notebook has no kernel to answer: say so instead of spinning
  const slow = setTimeout(() => {
    note.textContent = "autograd_lab: waiting for the kernel to send the widget code (run the cell again if the " +
      "kernel was restarted; the text below the cell shows the widget's state).";
  }, 8000);
  let mod;
  try {
    mod = await bundle(model);
  } catch (err) {
    note.textContent = `autograd_lab: the widget code could not be loaded (${err.message}).`;
    note.dataset.testid = "load-error";
    return () => {};
  } finally {
    clearTimeout(slow);
  }
  note.remove();
  return mod.render(KIND, { model, el });
}

export default { render };
