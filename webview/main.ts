/**
 * The SPEX panel. It renders only what the host posts (after our `ready`), keeps the last state
 * through getState/setState so hiding the panel loses nothing, and posts back what the person does.
 */
import './styles.css';
import type { HostToWebviewMessage, WebviewToHostMessage } from '../protocol/webview';
import { isHostToWebviewMessage } from '../protocol/webview';
import { renderExplanation } from './renderExplanation';
import { renderText } from './renderText';
import { vscodeApi } from './vscodeApi';

const api = vscodeApi<HostToWebviewMessage>();

function post(message: WebviewToHostMessage): void {
  api.postMessage(message);
}

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`The panel's page lacks #${id}.`);
  return found as T;
}

function show(message: HostToWebviewMessage): void {
  if (message.type === 'verifyResult' || message.type === 'verifyFailed') return;
  const summary = element('summary');
  const text = element('text');
  const interactions = element('interactions');
  let spans: HTMLElement[];
  if (message.type === 'showExplanation') {
    spans = renderExplanation({ summary, text, interactions }, message.explanation, message.partial);
  } else {
    spans = renderText(text, message.text, message.features, message.pinned);
    interactions.replaceChildren();
    summary.textContent = `${message.features.length} feature${message.features.length === 1 ? '' : 's'}${
      message.pinned.length > 0 ? `, ${message.pinned.length} pinned span${message.pinned.length === 1 ? '' : 's'}` : ''
    }`;
  }
  for (const span of spans) {
    const index = Number(span.dataset.index);
    span.addEventListener('click', () => post({ type: 'revealFeature', index }));
    span.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault();
        post({ type: 'revealFeature', index });
      }
    });
  }
  api.setState(message);
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  if (isHostToWebviewMessage(event.data)) show(event.data);
});

const saved = api.getState();
if (saved !== undefined && isHostToWebviewMessage(saved)) show(saved);
post({ type: 'ready' });
