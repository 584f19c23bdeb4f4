import { h } from '../dom';
import { TABS, type Tab } from '../state';

const TAB_LABELS: Readonly<Record<Tab, string>> = { list: 'Interactions', matrix: 'Matrix', whatif: 'What-if' };

export interface SidePane {
  readonly filters: HTMLElement;
  readonly panels: Readonly<Record<Tab, HTMLElement>>;
  select(tab: Tab): void;
}

/**
 * The side of the panel: filters shared by the list and the matrix, then three tabs (the
 * interaction list, the matrix overview, the what-if), built from vscode-tabs so they look and key
 * like VS Code's own.
 */
export function createSidePane(root: HTMLElement, onTab: (tab: Tab) => void): SidePane {
  const filters = h('div', { className: 'filters', attributes: { id: 'filters', role: 'group', 'aria-label': 'Filters' } });
  const tabs = document.createElement('vscode-tabs');
  tabs.id = 'tabs';
  const panels = {} as Record<Tab, HTMLElement>;
  for (const tab of TABS) {
    const header = document.createElement('vscode-tab-header');
    header.slot = 'header';
    // vscode-tabs gives headers and panels ids of its own, so ours go in data attributes.
    header.dataset.tab = tab;
    header.textContent = TAB_LABELS[tab];
    const panel = document.createElement('vscode-tab-panel');
    const body = h('div', { className: `tab-body ${tab}`, attributes: { id: `panel-${tab}` } });
    panel.append(body);
    tabs.append(header, panel);
    panels[tab] = body;
  }
  tabs.addEventListener('vsc-tabs-select', (event) => {
    const tab = TABS[(event as CustomEvent<{ selectedIndex: number }>).detail.selectedIndex];
    if (tab) onTab(tab);
  });
  root.replaceChildren(filters, tabs);
  return {
    filters,
    panels,
    select: (tab) => {
      const index = TABS.indexOf(tab);
      if (tabs.selectedIndex !== index) tabs.selectedIndex = index;
    },
  };
}
