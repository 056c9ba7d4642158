// The rest of the example application: an answer cache in front of the assistant (lru-cache, whose
// loader is the LLM call itself), and a page checker that finds the checkout button on two releases
// of the shop's page with cheerio (the second release renamed the button's id, so the CSS strategy
// breaks and a fallback finds it).
import { readFileSync } from 'node:fs';
import * as cheerio from 'cheerio';
import { LRUCache } from 'lru-cache';
import { instrumentLruCache, lruCacheOptions } from '@driftwatch/cache';
import { cheerioStrategies, resolve } from '@driftwatch/selector';

const fixture = (name) => readFileSync(new URL(`../../packages/selector/test/fixtures/${name}`, import.meta.url), 'utf8');

export function createExtras(app) {
  const cacheOptions = { name: 'answers' };
  const answers = instrumentLruCache(
    new LRUCache(
      lruCacheOptions(
        {
          max: 2,
          ttl: 60_000,
          // A miss asks the model; concurrent misses for one question share one call.
          fetchMethod: (question) => app.ask(question),
        },
        cacheOptions,
      ),
    ),
    cacheOptions,
  );

  const pages = { v1: cheerio.load(fixture('checkout-v1.html')), v2: cheerio.load(fixture('checkout-v2.html')) };
  // What the button looked like when the selector was written (the heuristic's reference).
  const reference = { tag: 'button', id: 'place-order', classes: ['btn', 'btn-primary', 'checkout-submit'], text: 'Place order' };

  return {
    /** Answers from the cache when it can; a miss (or an evicted entry) asks the model. */
    cachedAnswer: (question) => answers.fetch(question),
    answers,

    /** Finds the checkout button on a page release: CSS first, then its text, then the heuristic. */
    async findCheckoutButton(release) {
      const $ = pages[release];
      const r = await resolve('checkout.submit', cheerioStrategies($, { css: '#place-order', text: 'Place order', heuristic: reference }), {
        context: 'checkout',
        engine: 'cheerio',
        retryIntervals: [],
      });
      return `${r.result} via ${r.strategy}${r.fallbackUsed ? ' (fallback)' : ''}, confidence ${r.confidence?.toFixed(2) ?? 'n/a'}${r.drift.length ? `, drift: ${r.drift.join(', ')}` : ''}`;
    },
  };
}
