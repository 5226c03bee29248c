// GradWatch: each watched leaf's .grad across backward calls, zero_grad and optimizer steps. The
// kernel listens to the engine and sends a per-leaf summary plus the recent event log; the table
// is rebuilt from those small traits (a few leaves, tens of rows).
import { sparkline } from "./sparkline.js";
import { batched, h, onChanges, textSummary } from "./util.js";

export function render({ model, el }) {
  const table = h("table", { className: "agl-table agl-watch-table" });
  const log = h("div", { className: "agl-watch-log", dataset: { testid: "grad-watch-log" } });
  const status = textSummary();
  // live: it keeps recording what later cells do; stopped: frozen by watch.stop()
  const mode = h("span", { className: "agl-pill agl-watch-mode", dataset: { testid: "grad-watch-mode" } });
  const root = h("div", { className: "agl-root agl-watch", dataset: { testid: "grad-watch" } },
    h("div", { className: "agl-toolbar" }, h("span", { className: "agl-title" }, "grad watch"), mode),
    table, log, status.el);
  el.append(root);

  const draw = batched(() => {
    const leaves = model.get("leaves") || [];
    const rows = model.get("rows") || [];
    table.replaceChildren(
      h("thead", {}, h("tr", {}, ...["leaf", "shape", ".grad now", "history", "events"].map((c) => h("th", {}, c)))),
      h("tbody", {}, ...leaves.map((leaf, i) => {
        const row = rows[i] || {};
        return h("tr", { dataset: { leaf: leaf.name } },
          h("td", {}, h("code", {}, leaf.name)),
          h("td", {}, leaf.shape),
          h("td", {}, h("code", { className: "agl-grad", title: row.grad_full || "" }, row.grad ?? "None")),
          h("td", {}, sparkline(row.series || [], row.events || [], { label: `${leaf.name}: ${row.metric || ""}` })),
          h("td", {}, String(row.count ?? 0)));
      })));
    const entries = model.get("log") || [];
    log.replaceChildren(
      h("div", { className: "agl-muted" }, entries.length ? "recent events" : "no events yet: run backward"),
      ...entries.map((e) => h("div", { className: `agl-log-row ev-${e.event}` },
        h("span", { className: "agl-pill" }, `#${e.index} ${e.event}`),
        ...(e.grads || []).map((g, i) => h("code", {}, `${leaves[i]?.name ?? i}.grad = ${g}`)))));
    const live = model.get("live") !== false;
    mode.textContent = live ? "live" : "stopped";
    mode.title = live ? "Follows these tensors as later cells change them (watch.stop() freezes it)"
      : "Stopped by watch.stop(): shows the events up to then";
    root.classList.toggle("is-stopped", !live);
    status.set(model.get("summary"));
  });
  const stop = onChanges(model, ["leaves", "rows", "log", "summary", "live"], draw);
  draw();
  return stop;
}
