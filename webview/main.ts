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
import { explanationPanelDom } from './panelDom';
import { vscodeHost } from './host';
import { BatchApp } from './reports/batchApp';
import { ComparisonApp } from './reports/comparisonApp';
import { vscodeReportHost, type ReportHost } from './reportHost';
import { isShowBatchMessage, isShowComparisonMessage } from '../protocol/reportView';

const view = document.body.dataset.view;
if (view === 'comparison') startReport(comparisonApp, isShowComparisonMessage);
else if (view === 'batch') startReport(batchApp, isShowBatchMessage);
else startExplanation();

/** The explanation panel. */
function startExplanation(): void {
  const host = vscodeHost();
  const app = new App(explanationPanelDom(), host);
  window.addEventListener('message', (event: MessageEvent<unknown>) => app.receive(event.data));
  app.restore(host.getState());
  host.post({ type: 'ready' });
}

/**
 * A report panel: builds its app, then listens, restores and says ready, as the explanation panel does.
 * Only a report that passes its guard is drawn and saved (for the page rebuilt after it was hidden).
 */
function startReport<Shown>(
  build: (host: ReportHost) => { render(message: Shown): void },
  accepts: (value: unknown) => value is Shown,
): void {
  const host = vscodeReportHost();
  const app = build(host);
  window.addEventListener('message', (event: MessageEvent<unknown>) => {
    if (!accepts(event.data)) return;
    host.setState(event.data);
    app.render(event.data);
  });
  const saved = host.getState();
  if (accepts(saved)) app.render(saved);
  host.post({ type: 'ready' });
}

/** The comparison panel: two versions side by side. */
function comparisonApp(host: ReportHost): ComparisonApp {
  return new ComparisonApp(
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
}

/** The batch panel: a template's spans across its inputs. */
function batchApp(host: ReportHost): BatchApp {
  return new BatchApp(
    {
      summary: byId('summary'),
      toolbar: byId('toolbar'),
      notice: byId('notice'),
      spanTable: byId<HTMLTableElement>('batch-spans'),
      termTable: byId<HTMLTableElement>('batch-terms'),
      outlierTable: byId<HTMLTableElement>('batch-outliers'),
    },
    host,
  );
}
