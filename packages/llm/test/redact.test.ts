import { describe, expect, it } from 'vitest';
import { defaultRedactor, safeStringify, truncate } from '@driftwatch/llm';

/** Whether `digits` passes the Luhn check (independent of the implementation under test). */
function luhnValid(digits: string): boolean {
  const sum = [...digits]
    .reverse()
    .map(Number)
    .reduce((acc, d, i) => acc + (i % 2 === 1 ? (d * 2 > 9 ? d * 2 - 9 : d * 2) : d), 0);
  return sum % 10 === 0;
}

describe('defaultRedactor', () => {
  it('redacts e-mail addresses', () => {
    expect(defaultRedactor('write to bob.smith+llm@mail.example.co.uk today')).toBe('write to [REDACTED:email] today');
    expect(defaultRedactor('a@b.io and c.d@e.org')).toBe('[REDACTED:email] and [REDACTED:email]');
  });

  it.each([
    ['OpenAI project key', `sk-proj-${'A1b2C3d4'.repeat(4)}`],
    ['OpenAI legacy key', `sk-${'x9Y8z7W6'.repeat(3)}`],
    ['Anthropic key', `sk-ant-api03-${'Qw_Er-Ty'.repeat(5)}`],
    ['Slack token', 'xoxb-123456789012-abcdefghijKLMN'],
    ['GitHub token', `ghp_${'a1B2c3D4e5'.repeat(4)}`],
    ['AWS access key id', 'AKIAIOSFODNN7EXAMPLE'],
    ['Google API key', `AIza${'Sy-_0123456'.repeat(3)}ab`],
  ])('redacts a %s', (_kind, key) => {
    expect(defaultRedactor(`key=${key} end`)).toBe('key=[REDACTED:api_key] end');
  });

  it('redacts bearer tokens, keeping the scheme', () => {
    expect(defaultRedactor('Authorization: Bearer eyJhbGciOi.J9-abc_def~ghi/+=')).toBe('Authorization: Bearer [REDACTED:token]');
    expect(defaultRedactor('bearer abcdefgh12345678')).toBe('bearer [REDACTED:token]');
  });

  it('redacts Luhn-valid card numbers in common layouts and keeps other long numbers', () => {
    for (const card of ['4111111111111111', '4111 1111 1111 1111', '4111-1111-1111-1111', '5500005555555559', '378282246310005']) {
      expect(luhnValid(card.replace(/\D/g, ''))).toBe(true);
      expect(defaultRedactor(`card ${card} ok`)).toBe('card [REDACTED:card] ok');
    }
    for (const id of ['4111111111111112', '1234567812345678', '20260102030405060']) {
      expect(luhnValid(id)).toBe(false);
      expect(defaultRedactor(`order ${id} ok`)).toBe(`order ${id} ok`);
    }
  });

  it('leaves ordinary text alone', () => {
    const text = 'Summarize the Q3 report (pages 1-12) in 200 words; use gpt-4o-2024-08-06.';
    expect(defaultRedactor(text)).toBe(text);
    expect(defaultRedactor('')).toBe('');
  });
});

describe('truncate', () => {
  it('keeps short text and marks a cut within the limit', () => {
    expect(truncate('short', 10)).toBe('short');
    const cut = truncate('y'.repeat(100), 40);
    expect(cut.length).toBeLessThanOrEqual(40);
    expect(cut.startsWith('yyyy')).toBe(true);
    expect(cut.endsWith('…[truncated]')).toBe(true);
  });
});

describe('safeStringify', () => {
  it('replaces cycles, stringifies bigints, drops functions and symbols', () => {
    const a: Record<string, unknown> = { n: 1n << 70n, f: () => 1, s: Symbol('x'), list: [1, 'two'] };
    a.self = a;
    a.nested = { back: a };
    expect(safeStringify(a, 1000)).toBe(
      '{"n":"1180591620717411303424","list":[1,"two"],"self":"[Circular]","nested":{"back":"[Circular]"}}',
    );
  });

  it('bounds huge strings and huge objects, quickly', () => {
    const big = 'z'.repeat(5_000_000);
    const out = safeStringify({ big }, 200);
    expect(out.length).toBeLessThanOrEqual(200);
    expect(out.startsWith('{"big":"zzz')).toBe(true);

    const wide = Object.fromEntries(Array.from({ length: 200_000 }, (_, i) => [`k${i}`, { v: i, s: 'text' }]));
    const started = performance.now();
    const json = safeStringify(wide, 500);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(json.length).toBeLessThanOrEqual(500);
  });

  it('never throws, even on values whose getters or toJSON throw', () => {
    const hostile = {
      get boom(): never {
        throw new Error('getter');
      },
    };
    const withToJson = { toJSON: () => { throw new Error('toJSON'); } };
    expect(() => safeStringify(hostile, 100)).not.toThrow();
    expect(() => safeStringify(withToJson, 100)).not.toThrow();
    expect(safeStringify(undefined, 100)).toBe('undefined');
  });
});

describe('redaction of recorded errors', () => {
  it('redacts the exception event (message and stack trace) as well as error.message', async () => {
    const { createHarness } = await import('./generic-harness');
    const { traceLlmCall } = await import('@driftwatch/llm');
    const h = createHarness();
    const err = new Error('quota exceeded for alice@example.com using sk-proj-abcdefghijklmnopqrstuvwx');
    expect(() =>
      traceLlmCall({ operation: 'chat', provider: 'openai', model: 'gpt-4o' }, () => {
        throw err;
      }, { tracerProvider: h.tracerProvider, meterProvider: h.meterProvider }),
    ).toThrow(err);
    const span = h.span('chat gpt-4o');
    const redacted = 'quota exceeded for [REDACTED:email] using [REDACTED:api_key]';
    expect(span.attributes['error.message']).toBe(redacted);
    const event = span.events[0]!.attributes!;
    expect(event['exception.message']).toBe(redacted);
    expect(String(event['exception.stacktrace']).startsWith(`Error: ${redacted}`)).toBe(true);
    expect(JSON.stringify([span.attributes, span.events])).not.toMatch(/alice@|sk-proj-/);
  });
});
