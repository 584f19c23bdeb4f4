import type { Feature, PinnedSpan } from '../protocol/features';

/**
 * Renders the explained text with each feature as a focusable span, pinned spans marked, and the
 * glue between them as plain text. Every piece of prompt text goes in through text nodes, never as
 * HTML, so a prompt cannot inject markup or script.
 */
export function renderText(
  container: HTMLElement,
  text: string,
  features: readonly Feature[],
  pinned: readonly PinnedSpan[],
): HTMLElement[] {
  container.replaceChildren();
  const pieces = [
    ...features.map((feature) => ({ start: feature.start, end: feature.end, feature })),
    ...pinned.map((span) => ({ start: span.start, end: span.end, feature: undefined })),
  ].sort((a, b) => a.start - b.start);
  const spans: HTMLElement[] = [];
  let cursor = 0;
  for (const piece of pieces) {
    if (piece.start > cursor) container.append(document.createTextNode(text.slice(cursor, piece.start)));
    const element = document.createElement('span');
    element.textContent = text.slice(piece.start, piece.end);
    if (piece.feature) {
      element.className = 'feature';
      element.tabIndex = 0;
      element.dataset.index = String(piece.feature.index);
      element.setAttribute('role', 'button');
      element.setAttribute('aria-label', `Feature ${piece.feature.index + 1}: ${piece.feature.text}`);
      spans.push(element);
    } else {
      element.className = 'pinned';
      element.title = 'Pinned: never removed';
    }
    container.append(element);
    cursor = Math.max(cursor, piece.end);
  }
  if (cursor < text.length) container.append(document.createTextNode(text.slice(cursor)));
  return spans;
}
