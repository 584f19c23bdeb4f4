import type { PanelDom } from './app';
import { byId } from './dom';

/** The explanation panel's parts, from its skeleton (protocol/panelPage.ts): the editor's panel and the MCP App view share them. */
export function explanationPanelDom(): PanelDom {
  return {
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
  };
}
