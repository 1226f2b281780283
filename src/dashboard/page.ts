/**
 * The dashboard's HTML shell (browser-safe string building): the served page links `/app.js` and `/app.css`; the
 * exported report inlines them and the run data. Data goes into a `<script type="application/json">` element with
 * every `<` written as `\u003c`, so no string in it (a completion containing `</script><script>…`) can end the
 * element: the page reads it with `JSON.parse` and renders every value as text.
 */

/** `s` with the five HTML-special characters escaped (for text and attribute values). */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/**
 * JSON text safe inside a `<script>` element: `<` (so `</script>` and `<!--` cannot appear), U+2028 and U+2029 are
 * written as escapes, which `JSON.parse` reads back unchanged.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

/** Id of the element holding an exported report's data. */
export const DATA_ELEMENT_ID = "thinkrl-data";

export interface PageOptions {
  title: string;
  /** Served page: the script's and stylesheet's URLs. Exported report: their text, inlined. */
  script: { src: string } | { inline: string };
  css: { href: string } | { inline: string };
  /** The report's data (exported report only). */
  data?: unknown;
  /** Content-Security-Policy for a `<meta>` tag (the exported file, which no server sends headers for). */
  csp?: string;
}

/** The page's HTML. */
export function pageHtml(o: PageOptions): string {
  // An inline script cannot contain "</script" (it would end the element); in JS text "<\/script" means the same.
  const script = "src" in o.script ? `<script src="${escapeHtml(o.script.src)}" defer></script>` : `<script>${o.script.inline.replace(/<\/(script)/gi, "<\\/$1")}</script>`;
  const css = "href" in o.css ? `<link rel="stylesheet" href="${escapeHtml(o.css.href)}">` : `<style>${o.css.inline.replace(/<\/(style)/gi, "<\\/$1")}</style>`;
  return [
    "<!doctype html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    ...(o.csp ? [`<meta http-equiv="Content-Security-Policy" content="${escapeHtml(o.csp)}">`] : []),
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(o.title)}</title>`,
    '<link rel="icon" href="data:,">',
    css,
    "</head>",
    "<body>",
    '<div id="app"><p class="loading">Loading…</p></div>',
    ...(o.data !== undefined ? [`<script type="application/json" id="${DATA_ELEMENT_ID}">${jsonForScript(o.data)}</script>`] : []),
    script,
    "</body>",
    "</html>",
    "",
  ].join("\n");
}
