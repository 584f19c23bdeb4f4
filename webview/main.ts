/**
 * The SPEX panels' entry point (the explanation panel, or the comparison panel where the page says
 * so). It builds the app on the page skeleton (webviewHtml), restores what
 * the page saved before it was hidden or reloaded, listens for the host's messages and then says
 * `ready`: the host posts nothing before that, so nothing is lost.
 */
import './styles.css';
import './elements';
import { App } from './app';
import { byId } from './dom';
import { vscodeHost } from './host';
import { ComparisonApp } from './compare/comparisonApp';
import { vscodeComparisonHost } from './compare/comparisonHost';

if (document.body.dataset.view === 'comparison') startComparison();
else startExplanation();

/** The explanation panel. */
function startExplanation(): void {
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
}

/** The comparison panel: two versions side by side. */
function startComparison(): void {
  const host = vscodeComparisonHost();
  const app = new ComparisonApp(
    {
      answers: byId('answers'),
      summary: byId('summary'),
      toolbar: byId('toolbar'),
      notice: byId('notice'),
      labelA: byId('label-a'),
      labelB: byId('label-b'),
      verdictA: byId('verdict-a'),
      verdictB: byId('verdict-b'),
      textA: byId('text-a'),
      textB: byId('text-b'),
      spanTable: byId<HTMLTableElement>('span-changes'),
      termTable: byId<HTMLTableElement>('term-changes'),
    },
    host,
  );
  window.addEventListener('message', (event: MessageEvent<unknown>) => app.receive(event.data));
  app.restore(host.getState());
  host.post({ type: 'ready' });
}
