import type { ShowExplanationMessage, ShowSegmentationMessage, VerifyFailedMessage, VerifyResultMessage } from '../protocol/webview';
import { isHostToWebviewMessage } from '../protocol/webview';
import type { IndexName } from '../server/recovery/indexNames';
import { keyOfSorted } from '../server/recovery/interactionKey';
import { analyse, indexHasOrders, type Analysis } from './model/analysis';
import { bestKeep, smallestFlip } from './model/bestSpans';
import { explanationModel, isRenderableExplanation, sameFeatures, type ExplanationModel } from './model/explanationModel';
import { filterTerms, sortTerms, type SortKey, type TermFilter } from './model/termFilter';
import { complement, maskBits, verifyBlockedReason, withAnswer } from './model/verification';
import { flipRule, predict, type FlipRule } from './model/whatIf';
import type { Host } from './host';
import { SpanDetails, type SpanDetailsSource } from './spanDetails';
import { defaultUi, layoutOf, MIN_TEXT_HEIGHT, reconcileUi, type PersistedState, type Tab, type UiState, type Verification } from './state';
import { Connectors } from './view/connectors';
import { MarginArcs } from './view/marginArcs';
import { explanationGist } from '../protocol/gist';
import { spokenSummary } from '../protocol/spokenSummary';
import { explanationUnderIndex } from '../protocol/indexView';
import { Filters } from './view/filters';
import { renderExplanationHeader, renderSegmentationHeader, type HeaderParts } from './view/header';
import { InteractionList } from './view/interactionList';
import { renderLegend } from './view/legend';
import { MatrixView } from './view/matrix';
import { SelectionBar } from './view/selectionBar';
import { createSidePane, type SidePane } from './view/sidePane';
import { TextLayer } from './view/textLayer';
import { Toolbar } from './view/toolbar';
import { WhatIfPanel, type SearchResult } from './view/whatIfPanel';

/** The page skeleton's parts (webviewHtml) the app draws into. */
export interface PanelDom extends HeaderParts {
  readonly toolbar: HTMLElement;
  /** The explanation in one sentence (see server/report/gist.ts), under the panel's index. */
  readonly gist: HTMLElement;
  /** A live region screen readers hear once a run has finished: verdict, gist and the strongest interactions. */
  readonly spoken: HTMLElement;
  readonly legend: HTMLElement;
  readonly text: HTMLElement;
  readonly stage: HTMLElement;
  readonly connectors: SVGSVGElement;
  /** The margin left of the text where the strongest interactions are drawn. */
  readonly arcs: SVGSVGElement;
  readonly card: HTMLElement;
  readonly side: HTMLElement;
  readonly selectionBar: HTMLElement;
  /** The header's collapsible run details (around `facts`). */
  readonly runDetails: HTMLDetailsElement;
  /** The text and its legend: a pane of its own height in the stacked layout, which the person can resize. */
  readonly textPane: HTMLElement;
}

/**
 * What the page's host can do besides showing explanations and verifying masks. The editor's panel
 * does everything; the MCP App view (shown in an agent's chat) cannot save files or ask for a run's
 * choices, so it shows no buttons for them.
 */
export interface HostOffers {
  readonly exports: boolean;
  readonly rerun: boolean;
}

export const PANEL_OFFERS: HostOffers = { exports: true, rerun: true };

interface ExplanationView {
  readonly kind: 'explanation';
  readonly message: ShowExplanationMessage;
  readonly model: ExplanationModel;
  readonly analysis: Analysis;
  /** Restored from saved state after a reload: the host has not posted it, so it cannot verify. */
  readonly restored: boolean;
}

interface SegmentationView {
  readonly kind: 'segmentation';
  readonly message: ShowSegmentationMessage;
}

/**
 * The panel: it holds the view the host posted and the person's choices (UiState), derives what
 * each part shows, and redraws only the parts a change touches. Every choice is saved with
 * setState, so hiding the panel or reloading the window loses nothing.
 */
export class App {
  private view: ExplanationView | SegmentationView | undefined;
  private ui: UiState = defaultUi(undefined);
  private result: SearchResult | undefined;
  private matrixStale = true;
  private readonly layer: TextLayer;
  private readonly connectors: Connectors;
  private readonly marginArcs: MarginArcs;
  private readonly details: SpanDetails;
  private readonly toolbar: Toolbar;
  private readonly side: SidePane;
  private readonly filters: Filters;
  private readonly list: InteractionList;
  private readonly matrix: MatrixView;
  private readonly selectionBar: SelectionBar;
  /** The last what-if prediction, with what it was computed for (see prediction()). */
  private predicted:
    | { readonly model: ExplanationModel; readonly removed: readonly number[]; readonly predicted: number; readonly rule: FlipRule }
    | undefined;
  private readonly whatIf: WhatIfPanel;

  constructor(
    private readonly dom: PanelDom,
    private readonly host: Host,
    offers: HostOffers = PANEL_OFFERS,
  ) {
    this.layer = new TextLayer(dom.text, {
      activate: (index) => this.activateSpan(index),
      toggle: (index) => this.toggleRemoved(index),
      point: (index, anchor, by) => this.details.point(index, anchor, by),
      escape: () => this.escape(),
    });
    this.connectors = new Connectors(dom.connectors, dom.stage);
    this.marginArcs = new MarginArcs(dom.arcs, dom.stage);
    this.details = new SpanDetails(
      dom.card,
      dom.text,
      this.layer,
      () => this.detailsSource(),
      (features) => this.select(features),
      (index) => this.host.post({ type: 'drillDown', index }),
    );
    this.toolbar = new Toolbar(dom.toolbar, {
      setIndex: (index) => this.setIndex(index),
      setOrder: (order) => this.setOrder(order),
      setArcs: (count) => this.update({ arcs: count }, () => this.renderArcs()),
      ...(offers.exports
        ? {
            exportAs: (format) => this.host.post({ type: 'export', format }),
            copyMarkdown: () => this.host.post({ type: 'copyMarkdown' }),
          }
        : {}),
      ...(offers.rerun ? { rerun: () => this.host.post({ type: 'rerun' }) } : {}),
    });
    this.side = createSidePane(dom.side, (tab) => this.setTab(tab));
    this.filters = new Filters(this.side.filters, { change: (filter) => this.setFilter(filter) });
    this.list = new InteractionList(this.side.panels.list, {
      select: (term) => this.select(term?.features),
      sort: (key) => this.setSort(key),
    });
    this.selectionBar = new SelectionBar(dom.selectionBar, { clear: () => this.select(undefined) });
    this.matrix = new MatrixView(this.side.panels.matrix, {
      select: (features) => this.select(features),
      top: (count) => this.update({ matrixTop: count }, () => this.renderMatrix()),
    });
    dom.runDetails.addEventListener('toggle', () => {
      if (dom.runDetails.open !== this.ui.detailsOpen) this.update({ detailsOpen: dom.runDetails.open }, () => undefined);
    });
    // The stacked layout's text pane has a resize handle; a height the person sets is kept (and lifts
    // the default cap), any other size change (the window's) is not a choice to remember.
    new ResizeObserver(() => {
      const set = Number.parseFloat(dom.textPane.style.height);
      if (!Number.isFinite(set) || set < MIN_TEXT_HEIGHT || Math.round(set) === this.ui.textHeight) return;
      this.update({ textHeight: Math.round(set) }, () => this.renderLayout());
    }).observe(dom.textPane);
    this.whatIf = new WhatIfPanel(this.side.panels.whatif, {
      restoreAll: () => this.setRemoved([]),
      invert: () => this.invert(),
      verify: () => this.verify(),
      setK: (k) => this.update({ bestK: k }, () => this.renderWhatIf()),
      findKeep: () => this.findKeep(),
      findFlip: () => this.findFlip(),
    });
  }

  /** A message from the host; anything that fails the protocol's guards or ours is ignored. */
  receive(data: unknown): void {
    if (!isHostToWebviewMessage(data)) return;
    switch (data.type) {
      case 'showSegmentation':
        this.showSegmentation(data);
        break;
      case 'showExplanation':
        this.showExplanation(data, undefined);
        break;
      case 'verifyResult':
      case 'verifyFailed':
        this.answer(data);
        break;
      case 'selectSpans': {
        const count = this.explanationView()?.model.featureCount ?? 0;
        if (data.features.length > 0 && data.features.every((feature) => feature < count)) this.select(data.features);
        break;
      }
    }
  }

  /** Shows what the page saved before it was hidden or reloaded (or the bare view an older panel saved). */
  restore(saved: unknown): void {
    const state = saved as Partial<PersistedState> | undefined;
    const view: unknown = state && typeof state === 'object' && 'view' in state ? state.view : saved;
    if (!isHostToWebviewMessage(view)) return;
    if (view.type === 'showSegmentation') this.showSegmentation(view);
    else if (view.type === 'showExplanation') this.showExplanation(view, state?.ui ?? null);
  }

  private showSegmentation(message: ShowSegmentationMessage): void {
    const started = performance.now();
    this.view = { kind: 'segmentation', message };
    this.ui = { ...defaultUi(undefined), ...layoutOf(this.ui) };
    this.result = undefined;
    this.details.close(true);
    this.layer.render(message.text, message.features, message.pinned);
    this.layer.tint(undefined, 0, '');
    renderSegmentationHeader(this.dom, message);
    this.renderAll();
    this.persist();
    performance.measure('spex:render', { start: started });
  }

  /**
   * Shows an explanation. A streamed update of the text already shown keeps every choice (index,
   * selection, what-if); a new text starts afresh. `saved` is the saved UI of a restore.
   */
  private showExplanation(message: ShowExplanationMessage, saved: unknown): void {
    if (!isRenderableExplanation(message.explanation)) return;
    const started = performance.now();
    const model = explanationModel(message.explanation);
    const previous = this.view;
    const carried =
      previous !== undefined && previous.kind === 'explanation' && sameFeatures(previous.message.explanation, message.explanation);
    const restoring = saved !== undefined;
    this.ui = restoring
      ? reconcileUi(saved, model, true)
      : carried
        ? reconcileUi(this.ui, model, false)
        : { ...defaultUi(model), ...layoutOf(this.ui) };
    if (!carried) this.result = undefined;
    const analysis = analyse(model, this.ui.index, this.ui.order);
    this.view = { kind: 'explanation', message, model, analysis, restored: restoring };
    const explanation = message.explanation;
    if (this.layer.render(explanation.text, explanation.features, explanation.pinned)) this.details.close(true);
    this.renderTint();
    renderExplanationHeader(this.dom, explanation, {
      partial: message.partial,
      cancelled: message.cancelled === true,
      restored: restoring,
    });
    this.renderAll();
    this.persist();
    this.postViewIndex();
    performance.measure('spex:render', { start: started });
  }

  /** Tells the host which index, order and filters the panel shows, so that the editor and the exports read it alike. */
  private postViewIndex(): void {
    const view = this.explanationView();
    if (view) this.host.post({ type: 'viewIndex', index: view.analysis.index, order: view.analysis.order, filter: this.filterInput() });
  }

  private explanationView(): ExplanationView | undefined {
    return this.view?.kind === 'explanation' ? this.view : undefined;
  }

  private renderAll(): void {
    const view = this.explanationView();
    this.toolbar.render({
      explanation: view !== undefined,
      canSwitch: view?.model.canRecompute ?? false,
      index: view?.analysis.index ?? this.ui.index,
      order: view?.analysis.order ?? this.ui.order,
      orders: view?.model.orders ?? [this.ui.order],
      orderApplies: indexHasOrders(view?.analysis.index ?? this.ui.index),
      arcs: this.ui.arcs,
    });
    this.side.select(this.ui.tab);
    this.renderLayout();
    this.renderGist();
    document.documentElement.classList.toggle('whatif-mode', this.ui.tab === 'whatif' && view !== undefined);
    document.documentElement.classList.toggle('has-explanation', view !== undefined);
    this.renderLegend();
    this.renderTerms();
    this.renderWhatIf();
    this.renderSelection();
  }

  private renderTint(): void {
    const view = this.explanationView();
    if (!view) return;
    this.layer.tint(view.analysis.firstOrder, view.analysis.largestFirstOrder, view.analysis.firstOrderName);
  }

  private renderLegend(): void {
    const view = this.explanationView();
    renderLegend(this.dom.legend, {
      values: view?.analysis.firstOrder,
      largest: view?.analysis.largestFirstOrder ?? 0,
      valueName: view?.analysis.firstOrderName ?? '',
      whatIf: this.ui.tab === 'whatif' && view !== undefined,
    });
  }

  private featureText = (index: number): string => {
    const features = this.view?.kind === 'explanation' ? this.view.message.explanation.features : this.view?.message.features;
    return features?.[index]?.text ?? '';
  };

  private filterInput(): TermFilter {
    return { hiddenOrders: this.ui.hiddenOrders, synergy: this.ui.synergy, redundancy: this.ui.redundancy, minShare: this.ui.minShare };
  }

  /** The filters, the list and (when visible) the matrix: everything that shows the terms. */
  private renderTerms(): void {
    const view = this.explanationView();
    const orders = view ? Array.from({ length: indexHasOrders(view.analysis.index) ? view.analysis.order : 1 }, (_, i) => i + 1) : [];
    this.filters.render({ ...this.filterInput(), orders, enabled: view !== undefined });
    const terms = view ? view.analysis.terms : [];
    const filtered = filterTerms(terms, this.filterInput());
    this.list.render({
      terms: sortTerms(filtered, { key: this.ui.sort, descending: this.ui.descending }),
      total: terms.length,
      sort: { key: this.ui.sort, descending: this.ui.descending },
      selectedKey: this.selectedKey(),
      featureText: this.featureText,
      largest: terms.reduce((max, term) => Math.max(max, Math.abs(term.value)), 0),
      // Of the terms the other filters let through, those the size filter hides.
      smallHidden: filterTerms(terms, { ...this.filterInput(), minShare: 0 }).length - filtered.length,
      minShare: this.ui.minShare,
      emptyText: !view
        ? 'Interactions appear here once the text is explained.'
        : view.analysis.hasFindings
          ? 'No interactions in this index.'
          : "None shown: the explanation does not fit the model's behaviour (see the warning above).",
    });
    this.matrixStale = true;
    if (this.ui.tab === 'matrix') this.renderMatrix();
    this.renderArcs();
  }

  /** The strongest interactions the filters let through, drawn in the margin beside the text. */
  private renderArcs(): void {
    const view = this.explanationView();
    const terms = view
      ? filterTerms(view.analysis.terms, this.filterInput())
          .filter((term) => term.features.length >= 2 && !term.belowNoise)
          .sort((a, b) => Math.abs(b.value) - Math.abs(a.value))
          .slice(0, this.ui.arcs)
      : [];
    this.marginArcs.show({ terms, span: (index) => this.layer.span(index), selectedKey: this.selectedKey() });
    this.renderConnector();
  }

  private renderMatrix(): void {
    const view = this.explanationView();
    this.matrixStale = false;
    const started = performance.now();
    this.matrix.render({
      terms: view ? filterTerms(view.analysis.terms, this.filterInput()) : [],
      top: this.ui.matrixTop,
      featureCount: view?.model.featureCount ?? 0,
      featureText: this.featureText,
      firstOrder: view?.analysis.firstOrder ?? [],
      largestFirstOrder: view?.analysis.largestFirstOrder ?? 0,
      valueName: view?.analysis.firstOrderName ?? '',
      selectedKey: this.selectedKey(),
    });
    performance.measure('spex:matrix', { start: started });
  }

  private selectedKey(): string | undefined {
    return this.ui.selected ? keyOfSorted(this.ui.selected) : undefined;
  }

  /** Highlights the selected interaction's spans, joins them with connectors and marks it in the list and matrix. */
  private renderSelection(): void {
    const selected = this.ui.selected ?? [];
    this.layer.setMarked('selected', selected);
    const key = this.selectedKey();
    this.list.setSelected(key);
    this.matrix.setSelected(key);
    this.renderArcs();
    this.renderBar();
  }

  /** The bar at the bottom: the selection and, in the what-if, the prediction. */
  private renderBar(): void {
    const view = this.explanationView();
    const key = this.selectedKey();
    const prediction = view && this.ui.tab === 'whatif' ? this.prediction() : undefined;
    this.selectionBar.render({
      selected: key === undefined ? undefined : view?.analysis.byKey.get(key),
      selectedSpans: view ? (this.ui.selected ?? []) : [],
      featureText: this.featureText,
      whatIf:
        view && prediction
          ? {
              removed: this.ui.removed.length,
              predicted: prediction.predicted,
              fromFull: prediction.predicted - prediction.rule.full,
              valueName: view.message.explanation.valueFunction.name,
            }
          : undefined,
    });
  }

  /**
   * The surrogate's value for the what-if's removals and the flip rule, computed once per change of
   * either: the what-if tab and the bar below both show it, and at thousands of spans it is not free.
   */
  private prediction(): { readonly predicted: number; readonly rule: FlipRule } | undefined {
    const view = this.explanationView();
    const surrogate = view?.model.surrogate;
    if (!view || !surrogate) return undefined;
    const cached = this.predicted;
    if (cached?.model === view.model && cached.removed === this.ui.removed) return cached;
    this.predicted = {
      model: view.model,
      removed: this.ui.removed,
      predicted: predict(surrogate, view.model.featureCount, this.ui.removed),
      rule: flipRule(view.model, surrogate),
    };
    return this.predicted;
  }

  /** The selected interaction's connector over the text; its value goes there only where the margin does not draw it. */
  private renderConnector(): void {
    const selected = this.ui.selected ?? [];
    const key = this.selectedKey();
    const spans = selected.map((index) => this.layer.span(index)).filter((span): span is HTMLElement => span !== undefined);
    const term = key === undefined ? undefined : this.explanationView()?.analysis.byKey.get(key);
    this.connectors.show({
      spans: selected.length >= 2 ? spans : [],
      value: this.marginArcs.draws(key) ? undefined : term?.value,
      kind: term?.kind === 'synergy' || term?.kind === 'redundancy' ? term.kind : undefined,
    });
  }

  private renderWhatIf(): void {
    const view = this.explanationView();
    this.layer.setMarked('removed', view ? this.ui.removed : []);
    const surrogate = view?.model.surrogate;
    const n = view?.model.featureCount ?? 0;
    this.whatIf.render({
      unavailable: !view
        ? 'What-if needs an explanation: run one first.'
        : !surrogate
          ? 'This explanation carries no recovered expansion, so there is no surrogate to predict with.'
          : undefined,
      featureCount: n,
      removed: this.ui.removed,
      predicted: this.prediction()?.predicted ?? 0,
      rule: this.prediction()?.rule,
      valueName: view?.message.explanation.valueFunction.name ?? '',
      verifyBlocked: verifyBlockedReason(this.explanationView()),
      verifications: this.ui.verifications,
      bestK: this.ui.bestK,
      result: this.result,
      featureText: this.featureText,
    });
    this.renderBar();
  }

  /** Applies a change to the choices, redraws what it touches, and saves. */
  private update(change: Partial<UiState>, redraw: () => void): void {
    this.ui = { ...this.ui, ...change };
    redraw();
    this.persist();
  }

  private renderGist(): void {
    const view = this.explanationView();
    const explanation = view ? explanationUnderIndex(view.message.explanation, view.analysis.index, view.analysis.order) : undefined;
    this.dom.gist.hidden = explanation === undefined;
    this.dom.gist.textContent = explanation ? explanationGist(explanation) : '';
    // Said once the run is over (each partial round would interrupt), and again after an index switch.
    const spoken = explanation && !view?.message.partial ? spokenSummary(explanation) : '';
    if (this.dom.spoken.textContent !== spoken) this.dom.spoken.textContent = spoken;
  }

  /** Applies the layout choices: the run details open or closed, the text pane's height. */
  private renderLayout(): void {
    if (this.dom.runDetails.open !== this.ui.detailsOpen) this.dom.runDetails.open = this.ui.detailsOpen;
    const height = this.ui.textHeight === null ? '' : `${this.ui.textHeight}px`;
    if (this.dom.textPane.style.height !== height) this.dom.textPane.style.height = height;
    this.dom.textPane.classList.toggle('resized', this.ui.textHeight !== null);
  }

  private persist(): void {
    if (!this.view) return;
    const state: PersistedState = { version: 1, view: this.view.message, ui: this.ui };
    this.host.setState(state);
  }

  private setIndex(index: IndexName): void {
    this.reanalyse({ index });
  }

  private setOrder(order: number): void {
    this.reanalyse({ order });
  }

  /** Recomputes the index from the stored expansion (no model calls) and redraws everything that shows it. */
  private reanalyse(change: Partial<Pick<UiState, 'index' | 'order'>>): void {
    const view = this.explanationView();
    if (!view || !view.model.canRecompute) return;
    const started = performance.now();
    this.ui = { ...this.ui, ...change };
    this.view = { ...view, analysis: analyse(view.model, this.ui.index, this.ui.order) };
    this.renderTint();
    this.renderAll();
    this.details.refresh();
    this.persist();
    this.postViewIndex();
    performance.measure('spex:index', { start: started });
  }

  private setFilter(filter: TermFilter): void {
    this.update({ ...filter }, () => this.renderTerms());
    this.postViewIndex();
  }

  private setSort(key: SortKey): void {
    const descending = this.ui.sort === key ? !this.ui.descending : key !== 'position';
    this.update({ sort: key, descending }, () => this.renderTerms());
  }

  private setTab(tab: Tab): void {
    if (tab === this.ui.tab) return;
    this.update({ tab }, () => {
      document.documentElement.classList.toggle('whatif-mode', tab === 'whatif' && this.explanationView() !== undefined);
      this.renderLegend();
      if (tab === 'matrix' && this.matrixStale) this.renderMatrix();
      this.renderBar();
    });
  }

  /** Selects an interaction (its sorted features), or clears the selection. */
  private select(features: readonly number[] | undefined): void {
    if (!this.explanationView()) return;
    const selected = features && features.length > 0 ? [...features].sort((a, b) => a - b) : null;
    this.update({ selected }, () => this.renderSelection());
    const first = selected?.[0];
    if (first !== undefined) this.layer.span(first)?.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  }

  private activateSpan(index: number): void {
    const view = this.explanationView();
    if (view && this.ui.tab === 'whatif') {
      this.toggleRemoved(index);
      return;
    }
    this.host.post({ type: 'revealFeature', index });
    const anchor = this.layer.span(index);
    if (view && anchor) this.details.open(index, anchor, true);
  }

  private detailsSource(): SpanDetailsSource | undefined {
    const view = this.explanationView();
    return view
      ? {
          analysis: view.analysis,
          removed: this.ui.removed,
          whatIf: this.ui.tab === 'whatif',
          featureText: this.featureText,
          canDrill: verifyBlockedReason(view) === undefined,
        }
      : undefined;
  }

  private escape(): void {
    if (this.details.index !== undefined) this.details.close(true);
    else this.select(undefined);
  }

  private toggleRemoved(index: number): void {
    if (!this.explanationView()) return;
    const removed = new Set(this.ui.removed);
    if (removed.has(index)) removed.delete(index);
    else removed.add(index);
    this.setRemoved([...removed]);
  }

  private setRemoved(removed: readonly number[], result?: SearchResult): void {
    this.result = result;
    this.update({ removed: [...removed].sort((a, b) => a - b) }, () => {
      this.renderWhatIf();
      this.details.refresh();
    });
  }

  private invert(): void {
    const view = this.explanationView();
    if (!view) return;
    this.setRemoved(complement(view.model.featureCount, this.ui.removed));
  }

  private findKeep(): void {
    const view = this.explanationView();
    const surrogate = view?.model.surrogate;
    if (!view || !surrogate) return;
    const started = performance.now();
    const n = view.model.featureCount;
    const rule = flipRule(view.model, surrogate);
    const { kept, value } = bestKeep(surrogate, n, Math.min(this.ui.bestK, n), rule.direction);
    performance.measure('spex:search', { start: started });
    this.setRemoved(complement(n, kept), { kind: 'keep', kept, value });
  }

  private findFlip(): void {
    const view = this.explanationView();
    const surrogate = view?.model.surrogate;
    if (!view || !surrogate) return;
    const started = performance.now();
    const { removed, value, flipped } = smallestFlip(surrogate, view.model.featureCount, flipRule(view.model, surrogate));
    performance.measure('spex:search', { start: started });
    this.setRemoved(flipped ? removed : this.ui.removed, { kind: 'flip', removed, value, flipped });
  }

  /** Sends the what-if mask to the host to score with the real model; the answer comes as verifyResult. */
  private verify(): void {
    const view = this.explanationView();
    const surrogate = view?.model.surrogate;
    if (!view || !surrogate || verifyBlockedReason(this.explanationView()) !== undefined) return;
    const requestId = this.ui.nextRequestId;
    const n = view.model.featureCount;
    const mask = maskBits(n, this.ui.removed);
    const entry: Verification = {
      requestId,
      removed: this.ui.removed,
      predicted: predict(surrogate, n, this.ui.removed),
      status: 'pending',
    };
    this.update({ nextRequestId: requestId + 1, verifications: [...this.ui.verifications, entry] }, () => this.renderWhatIf());
    this.host.post({ type: 'verifyMask', requestId, mask });
  }

  /** The host's answer to a verification; answers to requests this page did not make are ignored. */
  private answer(message: VerifyResultMessage | VerifyFailedMessage): void {
    const verifications = withAnswer(this.ui.verifications, message, this.explanationView()?.model.featureCount ?? 0);
    if (verifications) this.update({ verifications }, () => this.renderWhatIf());
  }
}
