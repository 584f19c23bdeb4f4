import type { EchoedTokens, GenerateOptions, Generation, ModelEndpoint, ModelInfo } from '../backends/modelEndpoint';
import { CallScheduler, type SchedulerOptions, type SchedulerStats } from './scheduler';

/**
 * Several endpoints of one kind serving the same model, used as one: each call goes to the member
 * with the most free capacity, through that member's scheduler (bounded concurrency, retries,
 * adaptive limits). With a single member it is simply a scheduled endpoint.
 */
export class EndpointPool implements ModelEndpoint {
  readonly kind: ModelEndpoint['kind'];
  readonly url: string;
  readonly model: string;
  private readonly members: { endpoint: ModelEndpoint; scheduler: CallScheduler }[];

  constructor(endpoints: readonly ModelEndpoint[], options: SchedulerOptions) {
    const first = endpoints[0];
    if (!first) throw new RangeError('An endpoint pool needs at least one endpoint.');
    if (endpoints.some((endpoint) => endpoint.kind !== first.kind || endpoint.model !== first.model)) {
      throw new RangeError('Every endpoint of a pool must be of one kind and serve the same model.');
    }
    this.kind = first.kind;
    this.url = endpoints.map((endpoint) => endpoint.url).join(', ');
    this.model = first.model;
    this.members = endpoints.map((endpoint) => ({ endpoint, scheduler: new CallScheduler(options) }));
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
    return (this.members[0] as { endpoint: ModelEndpoint }).endpoint.modelDigest(signal);
  }

  generate(prompt: string, options: GenerateOptions): Promise<Generation> {
    return this.dispatch((endpoint, attempt) => endpoint.generate(prompt, { ...options, signal: attempt }), options.signal);
  }

  continuationLogprobs(prompt: string, continuation: string, signal?: AbortSignal): Promise<EchoedTokens | undefined> {
    return this.dispatch(
      (endpoint, attempt) => endpoint.continuationLogprobs?.(prompt, continuation, attempt) ?? Promise.resolve(undefined),
      signal,
    );
  }

  embed(texts: readonly string[], signal?: AbortSignal): Promise<number[][]> {
    return this.dispatch((endpoint, attempt) => endpoint.embed(texts, attempt), signal);
  }

  private dispatch<T>(call: (endpoint: ModelEndpoint, signal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T> {
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
    return best.scheduler.run((attempt) => call(best.endpoint, attempt), signal);
  }
}
