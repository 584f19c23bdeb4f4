/** The interaction indices computed from one recovered expansion, without new model calls. */
export const INDEX_NAMES = ['fourier', 'mobius', 'shapley', 'banzhaf', 'sii', 'bii', 'fsii', 'fbii', 'stii'] as const;
export type IndexName = (typeof INDEX_NAMES)[number];

export function isIndexName(value: unknown): value is IndexName {
  return typeof value === 'string' && (INDEX_NAMES as readonly string[]).includes(value);
}
