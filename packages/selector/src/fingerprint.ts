import type { ElementDescriptor } from './types';

/**
 * Element fingerprints and similarity (the Healenium idea): what identifies an element across page
 * versions is its tag, id, classes, text, a few stable attributes and its ancestor path.
 *
 * Descriptors are treated as immutable: a fingerprint is computed once per descriptor object and
 * cached (adapters cache one descriptor per DOM node, so a repeated match costs a WeakMap look-up).
 */

const fingerprints = new WeakMap<ElementDescriptor, string>();

/** Characters of text compared by {@link similarity} (a Levenshtein matrix is quadratic). */
const MAX_COMPARED_TEXT = 64;

/**
 * A short stable hash (12 hex characters, 48 bits) of the descriptor: tag, id, classes (sorted),
 * text, attributes (sorted by name) and ancestor path. Equal descriptors give equal fingerprints,
 * whatever the order of their classes or attributes.
 */
export function fingerprint(el: ElementDescriptor): string {
  let fp = fingerprints.get(el);
  if (fp === undefined) {
    fp = hash48(canonical(el));
    if (typeof el === 'object' && el !== null) fingerprints.set(el, fp);
  }
  return fp;
}

function canonical(el: ElementDescriptor): string {
  if (el === null || typeof el !== 'object') throw new TypeError('fingerprint() needs an element descriptor object');
  let s = `${str(el.tag)}\u0001${str(el.id)}\u0001`;
  const classes = Array.isArray(el.classes) ? [...el.classes].map(str).sort() : [];
  s += classes.join(' ');
  s += `\u0001${str(el.text)}\u0001`;
  const attrs = el.attributes && typeof el.attributes === 'object' ? Object.keys(el.attributes).sort() : [];
  for (const k of attrs) s += `${k}=${str(el.attributes![k])}\u0002`;
  s += '\u0001';
  if (Array.isArray(el.path)) s += el.path.map(str).join('>');
  return s;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** Two-lane FNV-1a over UTF-16 code units with a final avalanche; 48 bits as 12 hex characters. */
function hash48(s: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x050c5d1f;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 0x85ebca6b);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 0xc2b2ae35);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 0x85ebca6b);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 0xc2b2ae35);
  return (h1 >>> 0).toString(16).padStart(8, '0') + ((h2 >>> 0) & 0xffff).toString(16).padStart(4, '0');
}

// Healenium's weights (tree-comparing HeuristicNodeDistance): they sum to its normaliser, 350.
const W_TAG = 100;
const W_ID = 50;
const W_TEXT = 30;
const W_CLASSES = 40;
const W_ATTRIBUTES = 30;
const W_PATH = 100;

/**
 * How alike two elements are, in [0, 1] (1 = the same descriptor). A weighted sum in Healenium's
 * proportions: tag equality (100), id similarity (50, Levenshtein), text similarity (30,
 * Levenshtein over the first 64 characters, case-insensitive), class overlap (40, Jaccard over class
 * names and their `-`/`_` parts), attribute similarity (30, mean over the union of names) and the
 * ancestor path (100, longest common subsequence ratio). A component that neither element has (no
 * id on either, say) is left out of both the score and the normaliser.
 */
export function similarity(a: ElementDescriptor, b: ElementDescriptor): number {
  if (a === b) return 1;
  if (a === null || typeof a !== 'object' || b === null || typeof b !== 'object') {
    throw new TypeError('similarity() needs two element descriptor objects');
  }
  let score = 0;
  let total = W_TAG;
  if (str(a.tag).toLowerCase() === str(b.tag).toLowerCase()) score += W_TAG;

  const idA = str(a.id);
  const idB = str(b.id);
  if (idA !== '' || idB !== '') {
    total += W_ID;
    score += W_ID * stringSimilarity(idA, idB);
  }

  const textA = str(a.text);
  const textB = str(b.text);
  if (textA !== '' || textB !== '') {
    total += W_TEXT;
    score += W_TEXT * stringSimilarity(textA.slice(0, MAX_COMPARED_TEXT).toLowerCase(), textB.slice(0, MAX_COMPARED_TEXT).toLowerCase());
  }

  const clsA = Array.isArray(a.classes) ? a.classes : [];
  const clsB = Array.isArray(b.classes) ? b.classes : [];
  if (clsA.length > 0 || clsB.length > 0) {
    total += W_CLASSES;
    score += W_CLASSES * classSimilarity(clsA, clsB);
  }

  const attrA = a.attributes && typeof a.attributes === 'object' ? a.attributes : undefined;
  const attrB = b.attributes && typeof b.attributes === 'object' ? b.attributes : undefined;
  const keys = new Set<string>();
  if (attrA) for (const k of Object.keys(attrA)) keys.add(k);
  if (attrB) for (const k of Object.keys(attrB)) keys.add(k);
  if (keys.size > 0) {
    let sum = 0;
    for (const k of keys) {
      const va = attrA?.[k];
      const vb = attrB?.[k];
      if (typeof va === 'string' && typeof vb === 'string') sum += stringSimilarity(va.slice(0, MAX_COMPARED_TEXT), vb.slice(0, MAX_COMPARED_TEXT));
    }
    total += W_ATTRIBUTES;
    score += (W_ATTRIBUTES * sum) / keys.size;
  }

  const pathA = Array.isArray(a.path) ? a.path : [];
  const pathB = Array.isArray(b.path) ? b.path : [];
  if (pathA.length > 0 || pathB.length > 0) {
    total += W_PATH;
    score += (W_PATH * lcs(pathA, pathB)) / Math.max(pathA.length, pathB.length);
  }
  const s = score / total;
  return s > 1 ? 1 : s < 0 ? 0 : s;
}

/** 1 − Levenshtein distance / longer length; 1 for two empty strings. */
function stringSimilarity(a: string, b: string): number {
  if (a === b) return 1;
  const max = Math.max(a.length, b.length);
  if (max === 0) return 1;
  return 1 - levenshtein(a, b) / max;
}

let row = new Int32Array(MAX_COMPARED_TEXT + 1);

function levenshtein(a: string, b: string): number {
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  if (row.length < b.length + 1) row = new Int32Array(b.length + 1);
  for (let j = 0; j <= b.length; j++) row[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    const ca = a.charCodeAt(i - 1);
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      const cost = ca === b.charCodeAt(j - 1) ? 0 : 1;
      const v = Math.min(above + 1, row[j - 1]! + 1, diagonal + cost);
      diagonal = above;
      row[j] = v;
    }
  }
  return row[b.length]!;
}

/** Jaccard overlap of class names (weight 0.7) and of their `-`/`_`-separated parts (0.3). */
function classSimilarity(a: readonly string[], b: readonly string[]): number {
  return 0.7 * jaccard(a, b) + 0.3 * jaccard(parts(a), parts(b));
}

function parts(classes: readonly string[]): string[] {
  const out: string[] = [];
  for (const c of classes) for (const p of str(c).toLowerCase().split(/[-_]+/)) if (p !== '') out.push(p);
  return out;
}

function jaccard(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0 && b.length === 0) return 1;
  const sa = new Set(a);
  const sb = new Set(b);
  let inter = 0;
  for (const x of sa) if (sb.has(x)) inter++;
  const union = sa.size + sb.size - inter;
  return union === 0 ? 1 : inter / union;
}

/** Length of the longest common subsequence of two tag paths. */
function lcs(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0 || b.length === 0) return 0;
  const prev = new Array<number>(b.length + 1).fill(0);
  const cur = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      cur[j] = a[i - 1] === b[j - 1] ? prev[j - 1]! + 1 : Math.max(prev[j]!, cur[j - 1]!);
    }
    for (let j = 0; j <= b.length; j++) prev[j] = cur[j]!;
  }
  return prev[b.length]!;
}

/** Whitespace-normalised text: runs of whitespace collapsed to one space, trimmed. @internal */
export function normalizeText(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** True for a value that can serve as an element descriptor (an object with a string `tag`). @internal */
export function isDescriptor(v: unknown): v is ElementDescriptor {
  return v !== null && typeof v === 'object' && typeof (v as { tag?: unknown }).tag === 'string';
}
