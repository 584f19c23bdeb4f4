import { describeNoiseRepeats, sampledMasks, type Sampling } from '../../protocol/explanation';

const count = (value: number): string => value.toLocaleString('en-US');

/**
 * How an explanation spent its budget, in one line: masks scored of the budget, the R² with which
 * each round's surrogate predicted the next round's new masks, and why sampling stopped.
 */
export function describeSampling(sampling: Sampling): string {
  const scored = sampledMasks(sampling);
  const fresh = sampling.rounds.map((round) => round.freshR2).filter((r2): r2 is number => r2 !== null);
  const rounds = sampling.rounds.length;
  return [
    `${count(scored)} masks${describeNoiseRepeats(sampling)} of a budget of ${count(sampling.budget)}${rounds > 1 ? `, in ${rounds} rounds` : ''}`,
    ...(fresh.length > 0 ? [`R² on each round's new masks ${fresh.map((r2) => r2.toFixed(3)).join(' → ')}`] : []),
    `stopped: ${sampling.stoppedBecause}`,
  ].join('; ');
}
