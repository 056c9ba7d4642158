import { describe, expect, it } from 'vitest';
import { fingerprint, similarity } from '@driftwatch/selector';
import type { ElementDescriptor } from '@driftwatch/selector';
import { BUTTON, BUTTON_V2 } from './harness';

describe('fingerprint', () => {
  it('is 12 hex characters, stable, and blind to class and attribute order', () => {
    const fp = fingerprint(BUTTON);
    expect(fp).toMatch(/^[0-9a-f]{12}$/);
    expect(fingerprint({ ...BUTTON })).toBe(fp);
    expect(fingerprint({ ...BUTTON, classes: ['btn-primary', 'btn'] })).toBe(fp);
    expect(fingerprint({ ...BUTTON, attributes: { type: 'submit' } })).toBe(fp);
    const a: ElementDescriptor = { tag: 'input', attributes: { name: 'q', type: 'search' } };
    const b: ElementDescriptor = { tag: 'input', attributes: { type: 'search', name: 'q' } };
    expect(fingerprint(a)).toBe(fingerprint(b));
  });

  it('changes with any field', () => {
    const variants: ElementDescriptor[] = [
      { ...BUTTON, tag: 'a' },
      { ...BUTTON, id: 'submit' },
      { ...BUTTON, classes: ['btn'] },
      { ...BUTTON, text: 'Place your order' },
      { ...BUTTON, attributes: { type: 'button' } },
      { ...BUTTON, path: ['html', 'body', 'form'] },
      BUTTON_V2,
    ];
    const fps = new Set([fingerprint(BUTTON), ...variants.map(fingerprint)]);
    expect(fps.size).toBe(variants.length + 1);
  });

  it('keeps fields apart (no collision by concatenation)', () => {
    expect(fingerprint({ tag: 'a', id: 'bc' })).not.toBe(fingerprint({ tag: 'ab', id: 'c' }));
    expect(fingerprint({ tag: 'div', text: 'x', classes: ['y'] })).not.toBe(fingerprint({ tag: 'div', text: 'y', classes: ['x'] }));
  });

  it('throws a TypeError for a non-object', () => {
    expect(() => fingerprint(null as never)).toThrow(TypeError);
  });
});

describe('similarity', () => {
  it('is 1 for equal descriptors and symmetric', () => {
    expect(similarity(BUTTON, BUTTON)).toBe(1);
    expect(similarity(BUTTON, { ...BUTTON })).toBe(1);
    expect(similarity(BUTTON, BUTTON_V2)).toBe(similarity(BUTTON_V2, BUTTON));
  });

  it("weighs tag, id, text, classes, attributes and path in Healenium's proportions", () => {
    // tag 100 + id 0/50 + text 30 + classes 40 × (0.7 × 0 + 0.3 × 1/3) + attributes 30 + path 100 × 4/5 = 244 of 350.
    expect(similarity(BUTTON, BUTTON_V2)).toBeCloseTo(244 / 350, 12);
    // Only the text differs: "place order" → "place your order" is 5 edits over 16 characters.
    expect(similarity(BUTTON, { ...BUTTON, text: 'Place your order' })).toBeCloseTo((350 - 30 * (5 / 16)) / 350, 12);
    // Text is compared case-insensitively.
    expect(similarity(BUTTON, { ...BUTTON, text: 'PLACE ORDER' })).toBe(1);
    // Components neither has are left out: two bare tags with the same path are alike.
    expect(similarity({ tag: 'div', path: ['body'] }, { tag: 'div', path: ['body'] })).toBe(1);
    expect(similarity({ tag: 'div' }, { tag: 'span' })).toBe(0);
  });

  it('ranks a renamed button above an unrelated one', () => {
    const unrelated: ElementDescriptor = { tag: 'button', classes: ['quick-add'], text: 'Quick add', attributes: { type: 'button' }, path: ['html', 'body', 'main', 'section', 'div'] };
    expect(similarity(BUTTON, BUTTON_V2)).toBeGreaterThan(similarity(BUTTON, unrelated));
    for (const s of [similarity(BUTTON, unrelated), similarity(BUTTON_V2, unrelated)]) {
      expect(s).toBeGreaterThanOrEqual(0);
      expect(s).toBeLessThanOrEqual(1);
    }
  });

  it('throws a TypeError for non-objects', () => {
    expect(() => similarity(BUTTON, undefined as never)).toThrow('similarity() needs two element descriptor objects');
  });
});
