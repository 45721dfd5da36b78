// Test harness for <cloud-chunk-uploader> (after Material Web's testing/harness.ts): it
// hides every shadow-DOM lookup so browser tests read as behaviour.
import type { CloudChunkUploader } from '../../src/element/cloud-chunk-uploader.js';
import type { UploadSnapshot } from '../../src/core/upload-snapshot.js';

/** A button a file row can show. */
export type RowAction = 'pause' | 'resume' | 'cancel' | 'retry';

/** Longest any harness wait may take (ms), so a broken element fails instead of hanging. */
const WAIT_LIMIT_MS = 20_000;

/** One file row, by what a user sees in it. */
export class FileRowHarness {
  readonly element: HTMLElement;

  constructor(element: HTMLElement) {
    this.element = element;
  }

  get id(): string {
    return this.element.dataset['id'] ?? '';
  }

  /** The engine's status, as the row states it for styling. */
  get status(): string {
    return this.element.dataset['status'] ?? '';
  }

  get nameElement(): HTMLElement {
    return this.#required('[part~="file-name"]');
  }

  get name(): string {
    return this.nameElement.textContent ?? '';
  }

  get progressBar(): HTMLElement {
    return this.#required('[role="progressbar"]');
  }

  get progress(): number {
    return Number(this.progressBar.getAttribute('aria-valuenow'));
  }

  /** The visible state word ("Uploading", "Done (instant)"...). */
  get stateText(): string {
    return this.element.querySelector('.state')?.textContent?.trim() ?? '';
  }

  /** The per-file problem text, or undefined when there is none. */
  get errorText(): string | undefined {
    return this.element.querySelector('[part~="file-error"]')?.textContent?.trim();
  }

  get buttons(): HTMLButtonElement[] {
    return [...this.element.querySelectorAll('button')];
  }

  button(action: RowAction): HTMLButtonElement | undefined {
    return this.element.querySelector<HTMLButtonElement>(`button[data-action="${action}"]`) ?? undefined;
  }

  #required(selector: string): HTMLElement {
    const found = this.element.querySelector<HTMLElement>(selector);
    if (found === null) throw new Error(`file row has no ${selector}`);
    return found;
  }
}

/** The element, by what a user sees in it and does with it. */
export class ElementHarness {
  readonly element: CloudChunkUploader;

  constructor(element: CloudChunkUploader) {
    this.element = element;
  }

  /** Build an element with these attributes, attach it to the document and wait for its first render. */
  static async create(attributes: Record<string, string | boolean> = {}): Promise<ElementHarness> {
    const element = document.createElement('cloud-chunk-uploader');
    for (const [name, value] of Object.entries(attributes)) {
      if (value === true) element.setAttribute(name, '');
      else if (value !== false) element.setAttribute(name, value);
    }
    document.body.append(element);
    await element.updateComplete;
    return new ElementHarness(element);
  }

  get root(): ShadowRoot {
    const root = this.element.shadowRoot;
    if (root === null) throw new Error('cloud-chunk-uploader has no shadow root');
    return root;
  }

  get input(): HTMLInputElement {
    return this.#required<HTMLInputElement>('input[type="file"]');
  }

  get dropZone(): HTMLElement {
    return this.#required('[part~="drop-zone"]');
  }

  get totalProgressBar(): HTMLElement | undefined {
    return this.root.querySelector<HTMLElement>('[part~="total-progress-bar"]') ?? undefined;
  }

  get startButton(): HTMLButtonElement | undefined {
    return this.root.querySelector<HTMLButtonElement>('[part~="start-button"]') ?? undefined;
  }

  get liveRegion(): HTMLElement {
    return this.#required('[aria-live]');
  }

  get notice(): string | undefined {
    return this.root.querySelector('[part~="notice"]')?.textContent?.trim();
  }

  get rows(): FileRowHarness[] {
    return [...this.root.querySelectorAll<HTMLElement>('[part~="file-row"]')].map((el) => new FileRowHarness(el));
  }

  /** The row of the file with this exact name. */
  row(name: string): FileRowHarness {
    const found = this.rows.find((r) => r.name === name);
    if (found === undefined) throw new Error(`no row for ${JSON.stringify(name)}; rows: ${this.rows.map((r) => r.name).join(', ')}`);
    return found;
  }

  /** Choose files through the real `<input type="file">`, as the picker would. */
  async choose(files: File[]): Promise<void> {
    const transfer = new DataTransfer();
    for (const file of files) transfer.items.add(file);
    this.input.files = transfer.files;
    this.input.dispatchEvent(new Event('change', { bubbles: true }));
    await this.element.updateComplete;
  }

  /** Drop files on the drop zone. */
  async drop(files: File[]): Promise<void> {
    const transfer = new DataTransfer();
    for (const file of files) transfer.items.add(file);
    this.dropZone.dispatchEvent(new DragEvent('dragover', { bubbles: true, cancelable: true, composed: true, dataTransfer: transfer }));
    this.dropZone.dispatchEvent(new DragEvent('drop', { bubbles: true, cancelable: true, composed: true, dataTransfer: transfer }));
    await this.element.updateComplete;
  }

  /** Paste files while the drop zone has focus. */
  async paste(files: File[]): Promise<void> {
    const transfer = new DataTransfer();
    for (const file of files) transfer.items.add(file);
    this.dropZone.focus();
    const event = new ClipboardEvent('paste', { bubbles: true, cancelable: true, composed: true, clipboardData: transfer });
    // Firefox drops `clipboardData` from a synthetic event's init dict; give it the transfer as a real paste would.
    if (event.clipboardData !== transfer) Object.defineProperty(event, 'clipboardData', { value: transfer });
    this.dropZone.dispatchEvent(event);
    await this.element.updateComplete;
  }

  /** The element's upload snapshot for a file name. */
  upload(name: string): UploadSnapshot | undefined {
    return this.element.uploads.find((u) => u.name === name);
  }

  /** Wait (bounded) until a condition on the rendered element holds. */
  async waitFor(description: string, condition: () => boolean, timeoutMs = WAIT_LIMIT_MS): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      await this.element.updateComplete;
      if (condition()) return;
      if (performance.now() > deadline) throw new Error(`timed out after ${String(timeoutMs)} ms waiting for ${description}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** Wait until the row of `name` shows one of these statuses. */
  async waitForStatus(name: string, ...statuses: string[]): Promise<FileRowHarness> {
    await this.waitFor(`${name} to be ${statuses.join(' or ')}`, () => {
      const row = this.rows.find((r) => r.name === name);
      return row !== undefined && statuses.includes(row.status);
    });
    return this.row(name);
  }

  /** Remove the element from the document (tests call this in afterEach). */
  remove(): void {
    this.element.remove();
  }

  #required<T extends HTMLElement = HTMLElement>(selector: string): T {
    const found = this.root.querySelector<T>(selector);
    if (found === null) throw new Error(`cloud-chunk-uploader has no ${selector}`);
    return found;
  }
}

/** One request the page started, as the spy saw it. */
export interface SpiedRequest {
  readonly method: string;
  readonly url: string;
  /** The body when it was a string (JSON requests); undefined for bytes. */
  readonly body: string | undefined;
}

/**
 * Records every fetch and XHR the page starts, while installed. Lets a test prove that
 * a refused file never reached the network, and read what the provider client sent.
 */
export class NetworkSpy {
  readonly requests: SpiedRequest[] = [];
  #restore: (() => void) | undefined;

  install(): this {
    const requests = this.requests;
    // The originals are only ever called with an explicit receiver (`.call`), or put back.
    /* eslint-disable @typescript-eslint/unbound-method */
    const originalFetch = window.fetch;
    const originalOpen = XMLHttpRequest.prototype.open;
    const originalSend = XMLHttpRequest.prototype.send;
    /* eslint-enable @typescript-eslint/unbound-method */
    const opened = new WeakMap<XMLHttpRequest, { method: string; url: string }>();
    window.fetch = function (input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
      const url = input instanceof Request ? input.url : String(input);
      const method = init?.method ?? (input instanceof Request ? input.method : 'GET');
      requests.push({ method: method.toUpperCase(), url, body: typeof init?.body === 'string' ? init.body : undefined });
      return originalFetch.call(window, input, init);
    };
    XMLHttpRequest.prototype.open = function (this: XMLHttpRequest, method: string, url: string | URL, ...rest: unknown[]): void {
      opened.set(this, { method: method.toUpperCase(), url: String(url) });
      (originalOpen as (...args: unknown[]) => void).call(this, method, url, ...rest);
    };
    XMLHttpRequest.prototype.send = function (this: XMLHttpRequest, body?: Document | XMLHttpRequestBodyInit | null): void {
      const request = opened.get(this);
      if (request !== undefined) requests.push({ ...request, body: typeof body === 'string' ? body : undefined });
      originalSend.call(this, body);
    };
    this.#restore = () => {
      window.fetch = originalFetch;
      XMLHttpRequest.prototype.open = originalOpen;
      XMLHttpRequest.prototype.send = originalSend;
    };
    return this;
  }

  /** Requests to URLs under this base (e.g. the element's endpoint). */
  to(base: string): SpiedRequest[] {
    return this.requests.filter((r) => r.url.startsWith(base));
  }

  uninstall(): void {
    this.#restore?.();
    this.#restore = undefined;
  }
}
