// A fetch for browser provider tests that counts what the client asks the backend for.
import type { PartUrlsRequest } from '../../src/core/index.js';

/** What {@link countingFetch} gives: the fetch to hand to a client and what it saw. */
export interface CountingFetch {
  fetch: typeof fetch;
  /** The `indexes` of every part-urls request with a JSON body, in the order sent. */
  batches: number[][];
  /** How many part-urls requests were sent (COS legacy asks for one signature per call). */
  partUrlCalls(): number;
}

/** A fetch that passes everything through and records each `POST /v1/sessions/part-urls`. */
export function countingFetch(): CountingFetch {
  const batches: number[][] = [];
  let calls = 0;
  return {
    batches,
    partUrlCalls: () => calls,
    fetch: (input, init) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      if (url.endsWith('/v1/sessions/part-urls')) {
        calls += 1;
        if (typeof init?.body === 'string') batches.push((JSON.parse(init.body) as PartUrlsRequest).indexes);
      }
      return fetch(input, init);
    },
  };
}
