/**
 * The package version, inlined by the bundler (scripts/build.mjs defines it from package.json).
 * Unbundled code (unit tests run from source) reports a development version instead.
 */
declare const __SPEX_VERSION__: string | undefined;

export const SPEX_VERSION: string = typeof __SPEX_VERSION__ === 'string' ? __SPEX_VERSION__ : '0.0.0-dev';
