import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { escapeAttribute, escapeText, pageOpening, panelBody } from '../../protocol/panelPage';

/**
 * The MCP App view's page: the explanation panel's skeleton with the view's script and styles inlined,
 * so that it is one self-contained document (a chat host loads it from the resource, with nothing to
 * fetch). The policy allows nothing but this page's own script and styles (by a nonce fresh for each
 * read) and inline images: no network, no frames, no fonts from elsewhere. Prompt and model text
 * never enter the page here; the script inserts it as text.
 */
export async function mcpViewHtml(distDirectory = bundleDirectory()): Promise<string> {
  const { script, style } = await viewBundle(distDirectory);
  const nonce = randomBytes(16).toString('base64');
  const policy = [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  const title = 'SPEX: Interactions';
  return `${pageOpening(policy)}
<title>${escapeText(title)}</title>
<style nonce="${escapeAttribute(nonce)}">${style}</style>
</head>
<body class="mcp-view" data-view="explanation">
<p id="mcp-status" class="mcp-status" role="status" aria-live="polite">Waiting for the explanation…</p>
${panelBody('explanation', title)}
<script nonce="${escapeAttribute(nonce)}">${script}</script>
</body>
</html>`;
}

/** The view's script and styles, read once per directory (they do not change while the server runs); a failed read is tried again next time. */
const bundles = new Map<string, Promise<{ script: string; style: string }>>();

function viewBundle(distDirectory: string): Promise<{ script: string; style: string }> {
  let bundle = bundles.get(distDirectory);
  if (!bundle) {
    const read = (name: string): Promise<string> =>
      readFile(path.join(distDirectory, name), 'utf8').then(
        (text) => inlineSafe(withoutSourceMap(text), name.endsWith('.js') ? 'script' : 'style'),
        (error: unknown) => {
          throw new Error(
            `The explanation view is not built (${path.join(distDirectory, name)}: ${(error as Error).message}); run "npm run build".`,
          );
        },
      );
    bundle = Promise.all([read('mcpView.js'), read('mcpView.css')]).then(([script, style]) => ({ script, style }));
    bundles.set(distDirectory, bundle);
    bundle.catch(() => bundles.delete(distDirectory));
  }
  return bundle;
}

/**
 * Bundled, the view sits beside the running bundle (dist/cli.js); run from source (tests under tsx),
 * it is in the repository's dist/.
 */
function bundleDirectory(): string {
  return path.extname(__filename) === '.ts' ? path.resolve(__dirname, '..', '..', 'dist') : __dirname;
}

/** A source map comment names a file the chat cannot load: dropped. */
function withoutSourceMap(code: string): string {
  return code.replace(/\n\/[/*]# sourceMappingURL=[^\n]*\s*$/u, '\n');
}

/**
 * Inlined code must not close its own element early: "</script" (or "</style") inside a string
 * or a comment becomes "<\/script", which JavaScript and CSS read the same.
 */
function inlineSafe(code: string, element: 'script' | 'style'): string {
  return code.replace(new RegExp(`</(${element})`, 'giu'), '<\\/$1');
}
