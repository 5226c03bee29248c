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

// A saved picture (static_svg, drawn by Graphviz in the kernel) parsed as SVG, without what could
// run code: a saved notebook is not trusted just because it was opened.
function picture(text) {
  const doc = new DOMParser().parseFromString(text, "image/svg+xml");
  const svg = doc.documentElement;
  if (svg.nodeName !== "svg") return null;
  for (const bad of svg.querySelectorAll("script, foreignObject, iframe, style")) bad.remove();
  for (const el of [svg, ...svg.querySelectorAll("*")]) {
    for (const { name, value } of [...el.attributes]) {
      if (/^on/i.test(name) || (/href$/i.test(name) && !value.startsWith("#"))) el.removeAttribute(name);
    }
  }
  // the node ids, as the live widget names them (Graphviz puts each in its node's <title>)
  for (const g of svg.querySelectorAll("g.node")) g.dataset.nodeId = g.querySelector("title")?.textContent || "";
  svg.style.maxWidth = "100%";
  svg.style.height = "auto";
  return document.importNode(svg, true);
}

async function render({ model, el }) {
  const note = document.createElement("div");
  note.textContent = "autograd_lab: loading the widget code from the kernel…";
  note.style.cssText = "font: 12px var(--jp-ui-font-family, sans-serif); opacity: .7; padding: 4px";
  el.append(note);
  const saved = document.createElement("div");
  // no answer soon (a saved notebook reopened without its kernel): show the saved picture meanwhile
  const early = setTimeout(() => {
    const svg = picture(model.get("static_svg") || "");
    const text = model.get("summary") || "";
    if (!svg && !text) return;
    note.textContent = "autograd_lab: the widget as it was saved (no kernel is sending its code): " +
      "run the cell for the live widget.";
    saved.dataset.testid = "static-picture";
    saved.append(svg || Object.assign(document.createElement("pre"), { textContent: text }));
    el.append(saved);
  }, 1500);
  const slow = setTimeout(() => {
    if (saved.isConnected) return;
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
    clearTimeout(early);
    clearTimeout(slow);
  }
  note.remove();
  saved.remove();
  return mod.render(KIND, { model, el });
}

export default { render };
