// Builds the two files the Python package serves (autograd_lab/static/):
//   widgets.js - every widget, the shared graph renderer, the CSS and Graphviz (WASM inlined): ~1.3 MB.
//   loader.js  - the tiny ES module that anywidget gets as `_esm`. It asks the kernel for widgets.js once
//                per page, so neither the comm traffic nor a saved notebook carries the big bundle per widget.
import * as esbuild from "esbuild";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const outdir = join(here, "..", "autograd_lab", "static");
mkdirSync(outdir, { recursive: true });

const common = {
  format: "esm",
  minify: true,
  // viz-js embeds its WASM as a string with non-ASCII bytes: escaping them as \uXXXX costs 190 KB
  charset: "utf8",
  target: ["es2020"],
  logLevel: "info",
  legalComments: "none",
};

const builds = [
  { ...common, entryPoints: [join(here, "src", "index.js")], bundle: true,
    outfile: join(outdir, "widgets.js"), loader: { ".css": "text" } },
  // not bundled: the loader imports nothing, and Python fills in its two placeholders
  { ...common, entryPoints: [join(here, "src", "loader.js")], bundle: false,
    outfile: join(outdir, "loader.js"), minifyIdentifiers: true },
];

if (process.argv.includes("--watch")) {
  for (const b of builds) await (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
