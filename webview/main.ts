/**
 * The SPEX panel's entry point. It builds the app on the page skeleton (webviewHtml), restores what
 * the page saved before it was hidden or reloaded, listens for the host's messages and then says
 * `ready`: the host posts nothing before that, so nothing is lost.
 */
import './styles.css';
import './elements';
import { App } from './app';
import { byId } from './dom';
import { vscodeHost } from './host';

const host = vscodeHost();
const app = new App(
  {
    summary: byId('summary'),
    gist: byId('gist'),
    spoken: byId('spoken'),
    facts: byId('facts'),
    warning: byId('warning'),
    banner: byId('banner'),
    toolbar: byId('toolbar'),
    legend: byId('legend'),
    text: byId('text'),
    stage: byId('text-stage'),
    connectors: byId<SVGSVGElement>('connectors'),
    arcs: byId<SVGSVGElement>('margin-arcs'),
    card: byId('hover-card'),
    side: byId('side'),
    selectionBar: byId('selection-bar'),
    runDetails: byId<HTMLDetailsElement>('run-details'),
    textPane: byId('text-pane'),
  },
  host,
);

window.addEventListener('message', (event: MessageEvent<unknown>) => app.receive(event.data));
app.restore(host.getState());
host.post({ type: 'ready' });
