import type { EchoedTokens, GenerateOptions, Generation, ModelEndpoint, ModelInfo } from '../backends/modelEndpoint';
import { CallScheduler, type SchedulerOptions, type SchedulerStats } from './scheduler';

/**
 * Several endpoints of one kind serving the same model, used as one: each call goes to the member
 * with the most free capacity, through that member's scheduler (bounded concurrency, retries,
 * adaptive limits, timeouts). Every call goes through a scheduler, set-up calls included (the model
 * list, the digest, the version probe), so none escapes --timeout or --retries. With a single member
 * it is simply a scheduled endpoint.
 */
export class EndpointPool implements ModelEndpoint {
  readonly kind: ModelEndpoint['kind'];
  readonly url: string;
  readonly model: string;
  private readonly members: { endpoint: ModelEndpoint; scheduler: CallScheduler }[];
  /** Aborted by close(): calls still in flight or in backoff after the run ended stop at once. */
  private readonly lifetime = new AbortController();

  /**
   * `scheduling` is either the options of a fresh scheduler per member or the members' schedulers
   * themselves, shared with another pool over the same endpoints (the model-list probe before the
   * model is known), so that what a scheduler learnt (that its endpoint has answered) carries over.
   */
  constructor(endpoints: readonly ModelEndpoint[], scheduling: SchedulerOptions | readonly CallScheduler[]) {
    const first = endpoints[0];
    if (!first) throw new RangeError('An endpoint pool needs at least one endpoint.');
    if (endpoints.some((endpoint) => endpoint.kind !== first.kind || endpoint.model !== first.model)) {
      throw new RangeError('Every endpoint of a pool must be of one kind and serve the same model.');
    }
    if (isSchedulerList(scheduling) && scheduling.length !== endpoints.length)
      throw new RangeError('A pool needs one scheduler per endpoint.');
    this.kind = first.kind;
    this.url = endpoints.map((endpoint) => endpoint.url).join(', ');
    this.model = first.model;
    this.members = endpoints.map((endpoint, index) => ({
      endpoint,
      scheduler: isSchedulerList(scheduling) ? (scheduling[index] as CallScheduler) : new CallScheduler(scheduling),
    }));
  }

  get requestsSent(): number {
    return this.members.reduce((sum, member) => sum + (member.endpoint.requestsSent ?? 0), 0);
  }

  stats(): SchedulerStats[] {
    return this.members.map((member) => member.scheduler.stats());
  }

  version(signal?: AbortSignal): Promise<string | undefined> {
    return this.dispatch((endpoint, attempt) => endpoint.version(attempt), signal);
  }

  listModels(signal?: AbortSignal): Promise<ModelInfo[]> {
    return this.dispatch((endpoint, attempt) => endpoint.listModels(attempt), signal);
  }

  modelDigest(signal?: AbortSignal): Promise<string | undefined> {
    // Members serve the same model; the first one's digest names it.
    const first = this.members[0] as { endpoint: ModelEndpoint; scheduler: CallScheduler };
    return this.scheduled(first, (endpoint, attempt) => endpoint.modelDigest(attempt), signal);
  }

  generate(prompt: string, options: GenerateOptions): Promise<Generation> {
    return this.dispatch((endpoint, attempt) => endpoint.generate(prompt, { ...options, signal: attempt }), options.signal);
  }

  continuationLogprobs(prompt: string, continuation: string, signal?: AbortSignal, required = false): Promise<EchoedTokens | undefined> {
    return this.dispatch(
      (endpoint, attempt) => endpoint.continuationLogprobs?.(prompt, continuation, attempt, required) ?? Promise.resolve(undefined),
      signal,
    );
  }

  embed(texts: readonly string[], signal?: AbortSignal): Promise<number[][]> {
    return this.dispatch((endpoint, attempt) => endpoint.embed(texts, attempt), signal);
  }

  /** The member with the most free capacity now, for every call of a series (a greedy walk's). */
  session(): ModelEndpoint {
    if (this.members.length === 1) return this;
    const member = this.leastLoaded();
    return {
      kind: this.kind,
      url: member.endpoint.url,
      model: this.model,
      listModels: (signal) => this.scheduled(member, (endpoint, attempt) => endpoint.listModels(attempt), signal),
      modelDigest: (signal) => this.scheduled(member, (endpoint, attempt) => endpoint.modelDigest(attempt), signal),
      generate: (prompt, options) =>
        this.scheduled(member, (endpoint, attempt) => endpoint.generate(prompt, { ...options, signal: attempt }), options.signal),
      embed: (texts, signal) => this.scheduled(member, (endpoint, attempt) => endpoint.embed(texts, attempt), signal),
      version: (signal) => this.scheduled(member, (endpoint, attempt) => endpoint.version(attempt), signal),
    };
  }

  /** Stops every call still in flight or waiting to retry; later calls fail at once. */
  close(): void {
    this.lifetime.abort(new Error('The model endpoints were closed.'));
  }

  private dispatch<T>(call: (endpoint: ModelEndpoint, signal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T> {
    return this.scheduled(this.leastLoaded(), call, signal);
  }

  private leastLoaded(): { endpoint: ModelEndpoint; scheduler: CallScheduler } {
    let best = this.members[0] as { endpoint: ModelEndpoint; scheduler: CallScheduler };
    let bestLoad = Number.POSITIVE_INFINITY;
    for (const member of this.members) {
      const { inFlight, limit } = member.scheduler.stats();
      const load = inFlight / limit;
      if (load < bestLoad) {
        bestLoad = load;
        best = member;
      }
    }
    return best;
  }

  private scheduled<T>(
    member: { endpoint: ModelEndpoint; scheduler: CallScheduler },
    call: (endpoint: ModelEndpoint, signal: AbortSignal) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    return member.scheduler.run((attempt) => call(member.endpoint, attempt), signal, this.lifetime.signal);
  }
}

function isSchedulerList(scheduling: SchedulerOptions | readonly CallScheduler[]): scheduling is readonly CallScheduler[] {
  return Array.isArray(scheduling);
}
