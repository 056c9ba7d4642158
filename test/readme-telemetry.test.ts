// Keeps every package README's "Emitted telemetry" section in step with @driftwatch/semconv:
// each attribute, metric and event name a package's source imports from semconv must be listed in
// its README, and each telemetry-like name the README lists must exist in semconv. A package guide
// in docs/<pkg>.md, when there is one, is held to the same rules in its own "Emitted telemetry"
// section.
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as semconv from '@driftwatch/semconv';

const root = join(import.meta.dirname, '..');
const packagesDir = join(root, 'packages');

/** Constant-name prefixes that denote an emitted name (as opposed to units or values). */
const EMITTED_PREFIXES = ['ATTR_', 'METRIC_', 'EVENT_'];

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

/**
 * The semconv constants a package's source imports, resolved to the names they emit: `ATTR_`,
 * `METRIC_` and `EVENT_` constants are the names themselves; `DEF_` metric definitions emit `.name`.
 */
function importedNames(pkg: string): Map<string, string> {
  const names = new Map<string, string>();
  const importRe = /import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*'@driftwatch\/semconv'/g;
  for (const file of sourceFiles(join(packagesDir, pkg, 'src'))) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(importRe)) {
      for (const raw of m[1]!.split(',')) {
        const id = raw.trim().split(/\s+as\s+/)[0]!.trim();
        const value = (semconv as Record<string, unknown>)[id];
        if (EMITTED_PREFIXES.some((p) => id.startsWith(p)) && typeof value === 'string') names.set(id, value);
        else if (id.startsWith('DEF_') && value && typeof (value as { name?: unknown }).name === 'string') {
          names.set(id, (value as { name: string }).name);
        }
      }
    }
  }
  return names;
}

function telemetrySection(readme: string): string {
  const start = readme.search(/^##\s+Emitted telemetry/m);
  if (start < 0) return '';
  const rest = readme.slice(start + 3);
  const next = rest.search(/^##\s+/m);
  return next < 0 ? rest : rest.slice(0, next);
}

const allValues = new Set(
  Object.entries(semconv)
    .filter(([k, v]) => EMITTED_PREFIXES.some((p) => k.startsWith(p)) && typeof v === 'string')
    .map(([, v]) => v as string),
);

const packages = readdirSync(packagesDir).filter((p) => existsSync(join(packagesDir, p, 'src')));

/** Checks one document's "Emitted telemetry" section against the names (constant → value) a package emits. */
function expectDocumented(names: Map<string, string>, path: string, label: string): void {
  expect(existsSync(path), `${label} is missing`).toBe(true);
  const section = telemetrySection(readFileSync(path, 'utf8'));
  expect(section, `${label} has no "## Emitted telemetry" section`).not.toBe('');
  const documented = new Set([...section.matchAll(/`([a-z_][a-z0-9_]*(?:\.[a-z0-9_<>{}]+)+)`/g)].map((m) => m[1]!));
  const missing = [...names.values()].filter((v) => !documented.has(v) && !documented.has(`${v}<key>`));
  expect(missing, `${label} does not list these emitted names`).toEqual([]);
  const unknown = [...documented].filter(
    (d) => !allValues.has(d) && !allValues.has(d.replace(/<key>$/, '')) && !/^(http|process|host|system|v8js|nodejs)\./.test(d),
  );
  expect(unknown, `${label} lists names that @driftwatch/semconv does not define`).toEqual([]);
  const emitted = new Set(names.values());
  const notEmitted = [...documented].filter((d) => {
    const name = d.replace(/<key>$/, '');
    return allValues.has(name) && !emitted.has(name);
  });
  expect(notEmitted, `${label} lists names the package's source never emits`).toEqual([]);
}

describe('package READMEs (and guides in docs/) list what the package emits', () => {
  for (const pkg of packages) {
    const names = importedNames(pkg);
    if (names.size === 0) continue;
    it(`${pkg}: documents exactly the names it emits, all defined in semconv`, () => {
      expectDocumented(names, join(packagesDir, pkg, 'README.md'), `${pkg}/README.md`);
    });
    const guide = join(root, 'docs', `${pkg}.md`);
    if (!existsSync(guide)) continue;
    it(`docs/${pkg}.md: every emitted name is documented and every documented name exists`, () => {
      expectDocumented(names, guide, `docs/${pkg}.md`);
    });
  }
});
