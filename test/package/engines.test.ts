// One Node.js version for everyone: the README's, package.json's `engines`, and every locked package's
// own `engines` declaration (the tools that build and package SPEX included, since CI and contributors
// run them on that Node).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { repoPath } from '../helpers/paths';

type Version = readonly [number, number, number];

interface LockedPackage {
  readonly version?: string;
  readonly engines?: Readonly<Record<string, string>> | readonly string[];
}

const manifest = JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(readFileSync(repoPath('package-lock.json'), 'utf8')) as { packages: Record<string, LockedPackage> };

/** The lowest version `>=X.Y[.Z]` admits: the only form package.json's own `engines.node` takes. */
function minimumOf(range: string): Version {
  const match = /^>=\s*(\d+)\.(\d+)(?:\.(\d+))?$/u.exec(range.trim());
  assert.ok(match, `package.json engines.node is ">=X.Y", not "${range}"`);
  return [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)];
}

function compare(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/** A partial version ("20", "20.9", "10.*") as its parts; missing or wildcard parts are undefined. */
function parts(text: string): (number | undefined)[] {
  return text.split('.').map((part) => (/^\d+$/u.test(part) ? Number(part) : undefined));
}

/** The version just past a partial one's range: 20 → 21.0.0, 20.9 → 20.10.0. */
function bumped(partial: readonly number[]): Version {
  const [major = 0, minor, patch] = partial;
  if (minor === undefined) return [major + 1, 0, 0];
  if (patch === undefined) return [major, minor + 1, 0];
  return [major, minor, patch + 1];
}

/** Whether `version` meets one comparator of npm's range syntax, the forms package manifests use for engines. */
function meets(version: Version, comparator: string): boolean {
  const match = /^(>=|<=|>|<|=|\^|~)?v?([\dx*.]*)$/u.exec(comparator);
  assert.ok(match, `unreadable engines comparator "${comparator}"`);
  const [, operator = '', text = ''] = match;
  const all = parts(text);
  // "10.*" and "20" name the versions that start so; only the leading numbers count.
  const firstWildcard = all.indexOf(undefined);
  const given = (firstWildcard < 0 ? all : all.slice(0, firstWildcard)) as number[];
  const [major, minor = 0, patch = 0] = given;
  if (major === undefined) return true;
  const floor: Version = [major, minor, patch];
  const exact = given.length === 3;
  switch (operator) {
    case '>=':
      return compare(version, floor) >= 0;
    case '>':
      return exact ? compare(version, floor) > 0 : compare(version, bumped(given)) >= 0;
    case '<':
      return compare(version, floor) < 0;
    case '<=':
      return exact ? compare(version, floor) <= 0 : compare(version, bumped(given)) < 0;
    case '^':
      return compare(version, floor) >= 0 && compare(version, major > 0 ? [major + 1, 0, 0] : [0, minor + 1, 0]) < 0;
    case '~':
      return compare(version, floor) >= 0 && compare(version, [major, minor + 1, 0]) < 0;
    default:
      return exact ? compare(version, floor) === 0 : compare(version, floor) >= 0 && compare(version, bumped(given)) < 0;
  }
}

/** npm's range syntax: alternatives joined by `||`, each a space-separated conjunction of comparators. */
function satisfies(version: Version, range: string): boolean {
  return range.split('||').some((alternative) =>
    alternative
      .trim()
      .replace(/(>=|<=|>|<|=|\^|~)\s+/gu, '$1')
      .split(/\s+/u)
      .every((comparator) => comparator === '' || meets(version, comparator)),
  );
}

const minimum = minimumOf(manifest.engines.node);

describe('the Node.js version SPEX needs', () => {
  it('reads npm ranges the way npm does', () => {
    const v = (text: string): Version => text.split('.').map(Number) as unknown as Version;
    const cases: [string, string, boolean][] = [
      ['20.19.0', '>=20.19', true],
      ['20.18.9', '>=20.19', false],
      ['20.19.0', '>= 22', false],
      ['20.19.0', '20 || >=22', true],
      ['21.0.0', '20 || >=22', false],
      ['20.19.0', '^20.19.0 || ^22.13.0 || >=24', true],
      ['20.19.0', '^20.17.0 || >=22.9.0', true],
      ['20.19.0', '^18.18.0 || ^20.9.0 || >=21.1.0', true],
      ['19.0.0', '^18.18.0 || ^20.9.0 || >=21.1.0', false],
      ['20.19.0', '6.* || 8.* || >= 10.*', true],
      ['9.1.0', '6.* || 8.* || >= 10.*', false],
      ['20.19.0', '>=0.6.11 <=0.7.0 || >=0.7.3', true],
      ['0.7.1', '>=0.6.11 <=0.7.0 || >=0.7.3', false],
      ['20.19.0', '>=16 || 14 >=14.17', true],
      ['20.19.0', '*', true],
      ['20.19.0', '~20.18.0', false],
    ];
    for (const [version, range, expected] of cases) assert.equal(satisfies(v(version), range), expected, `${version} in "${range}"`);
  });

  it('is the one README names', () => {
    const readme = readFileSync(repoPath('README.md'), 'utf8');
    const named = /Node\.js (\d+\.\d+) or later/u.exec(readme)?.[1];
    assert.equal(named, `${minimum[0]}.${minimum[1]}`, 'README says "Node.js X.Y or later" with package.json engines.node');
  });

  it('is supported by every locked package, the build and packaging tools included', () => {
    const unsupported = Object.entries(lock.packages).flatMap(([location, locked]) => {
      const engines = locked.engines;
      const node = engines !== undefined && !Array.isArray(engines) ? (engines as Record<string, string>)['node'] : undefined;
      return node === undefined || satisfies(minimum, node)
        ? []
        : [`${location.replace(/^node_modules\//u, '')} ${locked.version ?? ''} (node ${node})`];
    });
    assert.deepEqual(unsupported, [], `packages that do not declare Node ${minimum.join('.')}`);
  });
});
