import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * The page's script (src/web/page, bundled for the browser) and style, put into this build as strings by
 * scripts/build.ts: the binary serves its page with nothing to install and nothing fetched from elsewhere.
 */
declare const RV_WEB_SCRIPT: string | undefined;
declare const RV_WEB_STYLE: string | undefined;

export interface PageAssets {
  html: string;
  script: string;
  style: string;
}

/** Run from source (tests of the server), the page says it was not built; the style is read as it is. */
const UNBUILT_SCRIPT = `document.body.textContent = "rv ui: this rv runs from source; the page comes with npm run build";`;

export function pageAssets(): PageAssets {
  const script = typeof RV_WEB_SCRIPT === "string" ? RV_WEB_SCRIPT : UNBUILT_SCRIPT;
  const style = typeof RV_WEB_STYLE === "string" ? RV_WEB_STYLE : sourceStyle();
  return { html: PAGE_HTML, script, style };
}

function sourceStyle(): string {
  const file = join(import.meta.dirname, "page", "style.css");
  return existsSync(file) ? readFileSync(file, "utf8") : "";
}

/** The shell the script fills in; the views live in page/*.ts. */
const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>rv ui</title>
<link rel="stylesheet" href="/assets/app.css">
<script type="module" src="/assets/app.js"></script>
</head>
<body>
<header id="top"></header>
<main id="view"></main>
<dialog id="confirm"></dialog>
</body>
</html>
`;
