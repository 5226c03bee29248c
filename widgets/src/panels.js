// The inspector and error panels. Python decides what they say (it has the live objects); the
// browser only lays out a generic structure of sections, so the panels never go stale against the
// engine's vocabulary.
import { h, present } from "./util.js";

/**
 * data: {id, title, subtitle, sections: [{title, pre} | {title, text} | {title, rows: [[k, v]]} |
 *        {title, table: {columns, rows, flags}} | {title, list: [text]} | {title, empty}]}
 * A section may carry a `tone` ("nan", "why"): a class agl-tone-<tone> to colour it.
 */
export function renderInspector(panel, data) {
  panel.classList.toggle("is-empty", !data || !data.id);
  if (!data || !data.id) {
    delete panel.dataset.nodeId;
    panel.replaceChildren(h("div", { className: "agl-muted" }, "Click a node to inspect it."));
    return;
  }
  const body = [h("div", { className: "agl-inspector-head" },
    h("strong", { dataset: { testid: "inspector-title" } }, data.title || data.id),
    data.subtitle ? h("span", { className: "agl-muted" }, data.subtitle) : null)];
  for (const section of data.sections || []) body.push(renderSection(section));
  panel.replaceChildren(...body);
  panel.dataset.nodeId = data.id;
}

function renderSection(s) {
  const box = h("section", { className: s.tone ? `agl-section agl-tone-${s.tone}` : "agl-section",
    dataset: s.tone ? { section: s.tone } : {} }, h("h4", {}, s.title));
  if (s.pre !== undefined) box.append(h("pre", { className: "agl-pre" }, s.pre));
  if (s.text !== undefined) box.append(h("p", { className: "agl-text" }, s.text));
  if (s.rows) {
    box.append(h("table", { className: "agl-kv" },
      ...s.rows.map(([k, v]) => h("tr", {}, h("th", {}, k), h("td", {}, h("code", {}, v))))));
  }
  if (s.table) {
    const flags = s.table.flags || [];
    box.append(h("table", { className: "agl-table" },
      h("thead", {}, h("tr", {}, ...s.table.columns.map((c) => h("th", {}, c)))),
      h("tbody", {}, ...s.table.rows.map((row, i) =>
        h("tr", { className: flags[i] ? `is-${flags[i]}` : "" }, ...row.map((c) => h("td", {}, c)))))));
  }
  if (s.list) box.append(h("ul", { className: "agl-list" }, ...s.list.map((item) => h("li", {}, h("code", {}, item)))));
  if (s.empty) box.append(h("div", { className: "agl-muted" }, s.empty));
  return box;
}

/** error: {type, message, node, node_label, site, details: [text], note} or empty */
export function renderError(panel, error) {
  if (!error || !error.message) {
    panel.hidden = true;
    panel.replaceChildren();
    return;
  }
  panel.hidden = false;
  // replaceChildren writes a left-out part (null) as the text "null": only the parts present
  panel.replaceChildren(...present(
    h("div", { className: "agl-error-head" },
      h("strong", {}, error.type || "Error"),
      error.node ? h("span", {}, ` in ${error.node_label || ""} (${error.node})`) : null,
      h("button", {
        className: "agl-btn agl-btn-small", type: "button", dataset: { action: "dismiss-error" },
        title: "Hide this message (the node stays marked)", onclick: () => { panel.hidden = true; },
      }, "×")),
    h("pre", { className: "agl-pre agl-error-message", dataset: { testid: "error-message" } }, error.message),
    error.site ? h("div", { className: "agl-error-site", dataset: { testid: "error-site" } },
      `${error.node_label || "the node"} (${error.node}) was made at `, h("code", {}, error.site)) : null,
    ...(error.details || []).map((d) => h("div", { className: "agl-error-detail" }, d)),
    error.note ? h("div", { className: "agl-muted" }, error.note) : null,
  ));
}
