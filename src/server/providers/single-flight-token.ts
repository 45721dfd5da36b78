/** A token a provider issued, and when to fetch the next one (ms since epoch). */
export interface IssuedToken {
  value: string;
  refreshAt: number;
}

/**
 * A provider access token held by the backend: fetched on first use, cached until
 * `refreshAt`, and fetched single-flight, so however many parts ask at once one request goes
 * to the token endpoint (the ali-oss refresh race, peers.md §2 item 21, is what this avoids).
 *
 * @example
 * const token = new SingleFlightToken(() => requestTokenFromProvider(), Date.now);
 * const value = await token.get();
 * token.invalidate(value); // after the provider rejected it
 */
export class SingleFlightToken {
  readonly #issue: () => Promise<IssuedToken>;
  readonly #now: () => number;
  #token: IssuedToken | null = null;
  #pending: Promise<string> | null = null;

  constructor(issue: () => Promise<IssuedToken>, now: () => number) {
    this.#issue = issue;
    this.#now = now;
  }

  /** The cached token while it is fresh, else one new fetch shared by every caller. */
  get(): Promise<string> {
    if (this.#token !== null && this.#now() < this.#token.refreshAt) return Promise.resolve(this.#token.value);
    this.#pending ??= this.#issue()
      .then((token) => {
        this.#token = token;
        return token.value;
      })
      .finally(() => {
        this.#pending = null;
      });
    return this.#pending;
  }

  /**
   * Forget `token` after the provider rejected it, so the next `get` fetches a new one.
   * A token already replaced (another part saw the same error first) is ignored, so N
   * failing parts cause one refresh, not N.
   */
  invalidate(token: string): void {
    if (this.#token?.value === token) this.#token = null;
  }
}
