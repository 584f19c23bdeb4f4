/**
 * The panels' page skeletons, shared by the editor's webviews (extension/panel/webviewHtml.ts) and
 * the MCP App view (server/mcp/viewHtml.ts): the elements each app draws into, and the escaping of
 * the little text the page itself carries (its title).
 */

export type PanelView = 'explanation' | 'comparison' | 'batch';

/** A page's opening up to the end of its policy and viewport: the policy is the first thing a panel's page sets. */
export function pageOpening(policy: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttribute(policy)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">`;
}

/** A panel's skeleton, for pages built elsewhere (the MCP App view, server/mcp/viewHtml.ts). */
export function panelBody(view: PanelView, title: string): string {
  return BODIES[view](title);
}

/** Each panel's skeleton: the script fills it in. */
const BODIES: Readonly<Record<PanelView, (title: string) => string>> = {
  explanation: explanationBody,
  comparison: comparisonBody,
  batch: batchBody,
};

/** The explanation panel's skeleton. */
function explanationBody(title: string): string {
  return `<header id="header">
<h1>${escapeText(title)}</h1>
<p id="summary" aria-live="polite"></p>
<p id="gist" hidden></p>
<p id="spoken" class="visually-hidden" role="status" aria-live="polite"></p>
<details id="run-details"><summary>Details</summary><dl id="facts"></dl></details>
<p id="warning" class="warning" role="status" hidden></p>
</header>
<div id="banner" class="banner" role="status" hidden></div>
<div id="toolbar" class="toolbar"></div>
<div id="layout">
<main id="text-pane" aria-label="Explained text">
<div id="legend" class="legend"></div>
<div id="text-stage">
<div id="text" role="group" aria-label="Explained text: arrow keys move between spans, Enter reveals one in the editor, X removes it in the what-if"></div>
<svg id="connectors" aria-hidden="true" focusable="false"></svg>
<svg id="margin-arcs" aria-hidden="true" focusable="false"></svg>
</div>
<div id="hover-card" class="card" role="dialog" aria-label="Span details" hidden></div>
</main>
<aside id="side" aria-label="Interactions, matrix and what-if"></aside>
</div>
<div id="selection-bar" class="selection-bar" aria-label="Selection" hidden></div>`;
}

/** The comparison panel's skeleton: the answers first, the two versions side by side, then the tables of changes. */
function comparisonBody(title: string): string {
  return `<header id="header">
<h1>${escapeText(title)}</h1>
<p id="answers" class="answers" role="status" aria-live="polite"></p>
<p id="summary"></p>
<div id="toolbar" class="toolbar"></div>
<p id="notice" class="warning" role="status" hidden></p>
</header>
<div id="versions" class="versions">
<section class="version" aria-labelledby="label-a"><h2 id="label-a"></h2><p id="verdict-a" class="version-verdict"></p><div id="text-a" class="compare-text" role="group"></div></section>
<section class="version" aria-labelledby="label-b"><h2 id="label-b"></h2><p id="verdict-b" class="version-verdict"></p><div id="text-b" class="compare-text" role="group"></div></section>
</div>
<section aria-labelledby="spans-heading"><h2 id="spans-heading">Spans, largest change first</h2><table id="span-changes" class="changes"></table></section>
<section aria-labelledby="terms-heading"><h2 id="terms-heading">Interactions, largest change first</h2><table id="term-changes" class="changes"></table></section>`;
}

/** The batch panel's skeleton: the spans across the inputs first, then what recurs and what stands out. */
function batchBody(title: string): string {
  return `<header id="header">
<h1>${escapeText(title)}</h1>
<p id="summary"></p>
<div id="toolbar" class="toolbar"></div>
<p id="notice" class="warning" role="status" hidden></p>
</header>
<section aria-labelledby="spans-heading"><h2 id="spans-heading">The template's spans across the inputs</h2><table id="batch-spans" class="changes"></table></section>
<section aria-labelledby="terms-heading"><h2 id="terms-heading">Interactions that recur</h2><table id="batch-terms" class="changes"></table></section>
<section aria-labelledby="outliers-heading"><h2 id="outliers-heading">Inputs under which the template behaves differently</h2><table id="batch-outliers" class="changes"></table></section>`;
}

export function escapeText(text: string): string {
  return text.replace(/[&<>]/gu, (character) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[character] ?? character);
}

export function escapeAttribute(text: string): string {
  return escapeText(text).replace(/"/gu, '&quot;');
}
