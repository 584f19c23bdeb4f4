import type { Sampling } from '../../protocol/explanation';

const count = (value: number): string => value.toLocaleString('en-US');

/**
 * How an explanation spent its budget, in one line: masks scored of the budget, the R² with which
 * each round's surrogate predicted the next round's new masks, and why sampling stopped.
 */
export function describeSampling(sampling: Sampling): string {
  const last = sampling.rounds[sampling.rounds.length - 1];
  const scored = last?.masks ?? 0;
  const fresh = sampling.rounds.map((round) => round.freshR2).filter((r2): r2 is number => r2 !== null);
  const rounds = sampling.rounds.length;
  return [
    `${count(scored)} of ${count(sampling.budget)} masks${rounds > 1 ? ` in ${rounds} rounds` : ''}`,
    ...(fresh.length > 0 ? [`R² on each round's new masks ${fresh.map((r2) => r2.toFixed(3)).join(' → ')}`] : []),
    `stopped: ${sampling.stoppedBecause}`,
  ].join('; ');
}

/** What the surrogate is made of, e.g. "50 % dense ridge model, 50 % averaged trees". */
export function describeSurrogate(surrogate: NonNullable<Sampling['surrogate']>): string {
  const parts: [number, string][] = [
    [surrogate.sparse, 'sparse expansion'],
    [surrogate.dense, 'dense ridge model'],
    [surrogate.trees, 'averaged trees'],
  ];
  return parts
    .filter(([weight]) => weight > 0)
    .map(([weight, name]) => `${Math.round(weight * 100)} % ${name}`)
    .join(', ');
}
