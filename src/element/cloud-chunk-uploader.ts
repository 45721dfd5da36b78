import { LitElement, html, nothing, type PropertyDeclarations, type PropertyValues, type TemplateResult } from 'lit';
import { classMap } from 'lit/directives/class-map.js';
import { repeat } from 'lit/directives/repeat.js';
import { styleMap } from 'lit/directives/style-map.js';
import { isProviderName, type ProviderName } from '../core/provider-name.js';
import type { UploadSnapshot } from '../core/upload-snapshot.js';
import {
  UploadEngine,
  isPersistentFileHandle,
  lazyHashService,
  lazyUploadStore,
  type PersistentFileHandle,
  type UploadEngineOptions,
  type UploadEngineOptionsPatch,
} from '../engine/index.js';
import { mayHoldRecords } from '../persistence/may-hold-records.js';
import { createProviderClient, supportedProviders } from '../providers/registry.js';
import { workerBodyOnDemand } from '../providers/worker-body-on-demand.js';
import { cloudChunkUploaderStyles } from './cloud-chunk-uploader.styles.js';
import { formatBytes } from './format-bytes.js';
import { i18n, resolveLocale, type Messages } from './i18n.js';
import { UploadController, type ForwardedEventType, type UploadEventDetailMap } from './upload-controller.js';
import { uploadMessage, uploadStatusText } from './upload-message.js';

/** The tag the element is registered under. */
export const CLOUD_CHUNK_UPLOADER_TAG = 'cloud-chunk-uploader';

/** Default parts in flight across all uploads (DESIGN.md "Element API"). */
const DEFAULT_CONCURRENCY = 3;

type RowAction = 'pause' | 'resume' | 'cancel' | 'retry';

/** The engine options the element derives from its attributes (all but provider and hasher). */
interface DerivedOptions {
  target: string;
  concurrency: number;
  chunkSize: number | undefined;
  maxFileSize: number | undefined;
  accept: string | undefined;
  autoStart: boolean;
}

/** A positive finite number, else undefined (a removed numeric attribute becomes null). */
function positive(value: number | null | undefined): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
}

/** Which buttons a row shows: only the ones that do something in that state. */
function actionsFor(upload: UploadSnapshot): readonly RowAction[] {
  switch (upload.status) {
    case 'queued':
      return ['cancel'];
    case 'preparing':
    case 'uploading':
      return ['pause', 'cancel'];
    case 'paused':
      return ['resume', 'cancel'];
    case 'failed':
      return upload.error?.kind === 'fatal' && isRefusal(upload) ? [] : ['retry', 'cancel'];
    case 'completing':
    case 'done':
    case 'cancelled':
      return [];
  }
}

/**
 * Persistent handles of dropped files, in file order, where the browser offers them
 * (Chromium's File System Access API); they can only be asked for during the drop event.
 */
function droppedHandles(transfer: DataTransfer | null): (Promise<unknown> | undefined)[] {
  if (transfer === null) return [];
  return Array.from(transfer.items)
    .filter((item) => item.kind === 'file')
    .map((item) => {
      const getHandle = (item as DataTransferItem & { getAsFileSystemHandle?: () => Promise<unknown> }).getAsFileSystemHandle;
      if (typeof getHandle !== 'function') return undefined;
      try {
        return getHandle.call(item).catch(() => undefined);
      } catch {
        return undefined;
      }
    });
}

/** Refused before any request: retrying the same file cannot help. */
function isRefusal(upload: UploadSnapshot): boolean {
  const code = upload.error?.code;
  return code === 'file-too-large' || code === 'file-empty' || code === 'file-type-rejected' || code === 'invalid-name';
}

/**
 * A drop-in uploader for big files: chunked, resumable, parallel uploads to cloud
 * drives (Feishu/Lark first) through a token-vending backend.
 *
 * The element is a thin view over the headless `UploadEngine`, and the place where the
 * engine is assembled: it picks the provider client by name from the registry and hands
 * it a hash pool. It never slices, hashes, fetches or opens IndexedDB itself. Removing
 * it from the page does not cancel uploads.
 *
 * @summary Resumable chunked uploads to cloud drives, with progress, pause, resume and retry.
 *
 * @example
 * <cloud-chunk-uploader endpoint="https://example.com/upload/" provider="feishu"
 *   target="fldcnXXXX" multiple max-file-size="2147483648"></cloud-chunk-uploader>
 * <script type="module">
 *   import 'cloud-chunk-uploader';
 *   document.querySelector('cloud-chunk-uploader')
 *     .addEventListener('upload-success', (e) => console.log(e.detail.upload.result.fileToken));
 * </script>
 *
 * @slot - Text of the drop zone (default: "Drop files here, paste, or click to choose").
 *
 * @fires upload-added - A file joined the queue (also for files refused by a limit). `detail.upload`.
 * @fires upload-progress - Bytes moved. `detail.upload`.
 * @fires upload-paused - An upload paused (by the user or when the browser went offline). `detail.upload`.
 * @fires upload-resumed - A paused upload continues. `detail.upload`.
 * @fires upload-success - The provider stored the file; `detail.upload.result` has the file token (Feishu/Lark), file id (PDS), resource path (COS) or `bucket` + `key` + `etag` (S3), and `downloadUrl` where the provider gives one. `detail.upload`.
 * @fires upload-error - An upload failed for good; `detail.upload.error` says why. `detail.upload`.
 * @fires upload-cancelled - An upload was cancelled. `detail.upload`.
 * @fires queue-complete - Nothing is left to do. `detail.uploads`.
 *
 * @csspart drop-zone - The area that takes drops, clicks, Enter and Space.
 * @csspart summary - The row with the total progress bar and the start button.
 * @csspart file-list - The list of uploads.
 * @csspart file-row - One upload.
 * @csspart file-name - The file name (ellipsized; the full name is its title).
 * @csspart file-meta - Size, state, speed and time left.
 * @csspart file-error - The per-file problem text.
 * @csspart progress-bar - Every progress bar (per file and total).
 * @csspart total-progress-bar - The total progress bar.
 * @csspart progress-indicator - The filled part of a progress bar.
 * @csspart button - Every button.
 * @csspart start-button - The start button (with `manual-start`).
 * @csspart pause-button - A row's pause button.
 * @csspart resume-button - A row's resume button.
 * @csspart cancel-button - A row's cancel button.
 * @csspart retry-button - A row's retry button.
 * @csspart notice - A problem with the element's own configuration (unknown provider).
 * @csspart resume-notice - After a reload: how many uploads can continue once their files are chosen again.
 * @csspart storage-notice - Browser storage is unavailable or full, so uploads cannot continue after a reload.
 * @csspart file-notice - What a row waits for: its file again, a permission, or another tab.
 *
 * @cssprop --ccu-font-family - Font of the whole element.
 * @cssprop --ccu-font-size - Base font size.
 * @cssprop --ccu-color-text - Text colour.
 * @cssprop --ccu-color-muted - Secondary text colour.
 * @cssprop --ccu-color-accent - Accent: hover, focus, progress.
 * @cssprop --ccu-color-success - Progress of finished files.
 * @cssprop --ccu-color-error - Error text and failed progress.
 * @cssprop --ccu-border-color - Borders of the drop zone, rows and buttons.
 * @cssprop --ccu-border-radius - Corner radius of the drop zone and rows.
 * @cssprop --ccu-spacing - Base spacing.
 * @cssprop --ccu-drop-zone-background - Drop zone background.
 * @cssprop --ccu-drop-zone-active-background - Drop zone background while dragging or hovered.
 * @cssprop --ccu-drop-zone-min-height - Drop zone height.
 * @cssprop --ccu-row-background - Background of a row.
 * @cssprop --ccu-progress-height - Height of progress bars.
 * @cssprop --ccu-progress-track-color - Empty part of a progress bar.
 * @cssprop --ccu-progress-color - Filled part of a progress bar.
 * @cssprop --ccu-button-background - Button background.
 * @cssprop --ccu-button-border-radius - Button corner radius.
 * @cssprop --ccu-focus-ring - Outline of focused controls.
 */
export class CloudChunkUploader extends LitElement {
  static override styles = cloudChunkUploaderStyles;

  static override properties: PropertyDeclarations = {
    endpoint: {},
    provider: {},
    target: {},
    concurrency: { type: Number },
    chunkSize: { type: Number, attribute: 'chunk-size' },
    multiple: { type: Boolean },
    accept: {},
    maxFileSize: { type: Number, attribute: 'max-file-size' },
    manualStart: { type: Boolean, attribute: 'manual-start' },
  };

  /** `lang` is a native attribute; observe it so the strings follow it. */
  static override get observedAttributes(): string[] {
    return [...super.observedAttributes, 'lang'];
  }

  /** Base URL of the token-vending backend; protocol routes (`v1/sessions`...) are relative to it. */
  declare endpoint: string;
  /** Storage provider by registry name. Changing it affects files added afterwards. Default `feishu`. */
  declare provider: ProviderName;
  /**
   * Where files go: Feishu folder token, PDS parent id, COS legacy directory path (`/docs/2024`;
   * `upload-success` then carries `result.resourcePath`), S3 key prefix... Changing it affects later files.
   */
  declare target: string;
  /** Parts in flight across all uploads (also the most files active at once); each provider's traffic budget may lower it. Default 3. */
  declare concurrency: number;
  /** Preferred part size in bytes; providers that dictate their own ignore it. */
  declare chunkSize: number | undefined;
  /** Let the picker select several files. Default false. */
  declare multiple: boolean;
  /** Accepted types, as the `accept` attribute of `<input type="file">`. Others are refused. */
  declare accept: string;
  /** Largest file in bytes; larger ones are refused before any request. */
  declare maxFileSize: number | undefined;
  /** Wait for `start()` (or the Start button) instead of uploading on add. Default false. */
  declare manualStart: boolean;

  readonly #uploads: UploadController;
  /** Part bodies leave from a worker (issue 7, design C); one sender for every provider client of this element. */
  readonly #sendBody = workerBodyOnDemand();
  #applied: DerivedOptions | undefined;
  /** Provider name + endpoint the engine's provider client was built for. */
  #providerKey: string | undefined;
  #announcement = '';
  #dragging = false;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #documentLang: MutationObserver | undefined;
  /** Provider name + endpoint whose stored uploads were restored. */
  #restoredKey: string | undefined;

  constructor() {
    super();
    this.endpoint = '';
    this.provider = 'feishu';
    this.target = '';
    this.concurrency = DEFAULT_CONCURRENCY;
    this.chunkSize = undefined;
    this.multiple = false;
    this.accept = '';
    this.maxFileSize = undefined;
    this.manualStart = false;
    this.#uploads = new UploadController(this, {
      create: () => this.#createEngine(),
      onEvent: (type, detail) => this.#announce(type, detail),
    });
    this.addEventListener('paste', this.#onPaste);
  }

  /** Snapshots of every upload, oldest first (read-only; empty before the first file). */
  get uploads(): readonly UploadSnapshot[] {
    return this.#uploads.uploads;
  }

  /**
   * Queue files with the current provider, target and limits. Files that break a limit
   * are listed as failed with a reason and never reach the network. Unless
   * `manual-start` is set, uploading starts at once.
   *
   * @returns a snapshot of each file queued, in order (empty when none could be queued).
   */
  addFiles(files: File[] | FileList): readonly UploadSnapshot[] {
    const list = Array.from(files);
    if (list.length === 0) return [];
    if (!this.#providerSupported) {
      // No client for this provider: say so instead of sending the files to the previous one.
      this.#announcement = this.#messages.unknownProvider(String(this.provider));
      this.requestUpdate();
      return [];
    }
    const engine = this.#uploads.engine;
    this.#syncEngine();
    return engine.add(list);
  }

  /** Start queued uploads (needed with `manual-start`). */
  start(): void {
    this.#syncEngine();
    this.#uploads.existing?.start();
  }

  /** Pause one upload by id, or all. Bytes already acknowledged are kept. */
  pause(id?: string): void {
    this.#uploads.existing?.pause(id);
  }

  /**
   * Resume one paused upload by id, or all. An upload restored after a reload continues from
   * its stored file handle (the browser may ask for permission once) or, without one, opens
   * the file picker so the same file can be chosen again.
   */
  resume(id?: string): void {
    if (this.#needsPick(id)) this.#openPicker();
    else this.#uploads.existing?.resume(id);
  }

  /** Cancel one upload by id, or all; the backend is told to drop the session. */
  cancel(id?: string): void {
    this.#uploads.existing?.cancel(id);
  }

  /** Try a failed upload again by id, or all failed ones. */
  retry(id?: string): void {
    if (this.#needsPick(id)) this.#openPicker();
    else this.#uploads.existing?.retry(id);
  }

  /**
   * Queue files from File System Access handles (e.g. from `showOpenFilePicker()`). The
   * handles are stored with the uploads, so after a reload they continue with at most one
   * permission prompt instead of a re-pick.
   *
   * @example
   * const handles = await window.showOpenFilePicker({ multiple: true });
   * await uploader.addFileHandles(handles);
   */
  async addFileHandles(handles: readonly PersistentFileHandle[]): Promise<readonly UploadSnapshot[]> {
    const files = await Promise.all(handles.map((handle) => handle.getFile()));
    const added = this.addFiles(files);
    added.forEach((upload, index) => this.#keepHandle(upload.id, handles[index]));
    return added;
  }

  /**
   * Forget every upload stored for resuming after a reload: uploads restored and still
   * waiting for their files leave the list. Running uploads go on (and store their progress
   * again as they go).
   */
  async clearStoredUploads(): Promise<void> {
    await this.#uploads.existing?.clearStoredUploads();
    this.requestUpdate();
  }

  override connectedCallback(): void {
    super.connectedCallback();
    // Without its own `lang` the element speaks the document's language; follow changes.
    this.#documentLang = new MutationObserver(() => this.requestUpdate());
    this.#documentLang.observe(document.documentElement, { attributes: true, attributeFilter: ['lang'] });
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#documentLang?.disconnect();
    this.#documentLang = undefined;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
  }

  override attributeChangedCallback(name: string, old: string | null, value: string | null): void {
    super.attributeChangedCallback(name, old, value);
    if (name === 'lang') this.requestUpdate();
  }

  protected override willUpdate(_changed: PropertyValues<this>): void {
    this.#syncEngine();
    this.#restoreStored();
  }

  protected override updated(_changed: PropertyValues<this>): void {
    this.#scheduleCountdown();
  }

  protected override render(): TemplateResult {
    const t = this.#messages;
    const uploads = this.uploads;
    const providerProblem = this.#providerSupported ? undefined : t.unknownProvider(String(this.provider));
    const canContinue = uploads.filter((u) => u.waitingFor === 'file' || u.waitingFor === 'permission').length;
    const storageProblem = this.#uploads.existing?.persistence === 'memory';
    return html`
      <div
        part="drop-zone"
        class=${classMap({ 'drop-zone': true, dragging: this.#dragging })}
        role="button"
        tabindex="0"
        @click=${this.#openPicker}
        @keydown=${this.#onKeydown}
        @dragenter=${this.#onDragOver}
        @dragover=${this.#onDragOver}
        @dragleave=${this.#onDragLeave}
        @drop=${this.#onDrop}
      >
        <slot>${t.dropZone}</slot>
      </div>
      <input
        class="file-input"
        type="file"
        tabindex="-1"
        aria-hidden="true"
        ?multiple=${this.multiple}
        accept=${this.accept ? this.accept : nothing}
        @change=${this.#onInputChange}
      />
      ${providerProblem === undefined ? nothing : html`<p part="notice" class="notice" role="alert">${providerProblem}</p>`}
      ${canContinue === 0 ? nothing : html`<p part="resume-notice" class="resume-notice" role="status">${t.canContinue(canContinue)}</p>`}
      ${storageProblem ? html`<p part="storage-notice" class="storage-notice" role="status">${t.resumeUnavailable}</p>` : nothing}
      ${uploads.length === 0 ? nothing : this.#renderUploads(uploads, t)}
      <div class="visually-hidden" aria-live="polite" aria-atomic="true">${this.#announcement}</div>
    `;
  }

  #renderUploads(uploads: readonly UploadSnapshot[], t: Messages): TemplateResult {
    const counted = uploads.filter((u) => u.status !== 'cancelled' && u.status !== 'failed');
    const total = counted.reduce((sum, u) => sum + u.size, 0);
    const moved = counted.reduce((sum, u) => sum + (u.status === 'done' ? u.size : u.bytesTransferred), 0);
    const allDone = counted.length > 0 && counted.every((u) => u.status === 'done');
    const percent = allDone ? 100 : total === 0 ? 0 : Math.min(99, Math.floor((moved / total) * 100));
    const waiting = this.manualStart && uploads.some((u) => u.status === 'queued');
    const now = Date.now();
    return html`
      <div part="summary" class="summary">
        ${this.#renderProgressBar(percent, t.totalProgress, 'progress-bar total-progress-bar')}
        ${waiting
          ? html`<button type="button" part="button start-button" @click=${() => this.start()}>${t.start}</button>`
          : nothing}
      </div>
      <ul part="file-list" class="file-list" aria-label=${t.fileList}>
        ${repeat(uploads, (u) => u.id, (u) => this.#renderRow(u, t, now))}
      </ul>
    `;
  }

  #renderRow(upload: UploadSnapshot, t: Messages, now: number): TemplateResult {
    const percent = upload.status === 'done' ? 100 : Math.min(99, Math.floor(upload.progress * 100));
    const problem = uploadMessage(upload, t, { maxFileSize: positive(this.maxFileSize), now });
    const moving = upload.status === 'uploading' && upload.speed > 0;
    const waiting = upload.waitingFor === 'file' ? t.pickAgain
      : upload.waitingFor === 'permission' ? t.allowAccess
      : upload.waitingFor === 'other-tab' ? t.otherTab
      : undefined;
    // Names are bound as text, never as markup: a file called <img onerror=...> stays text.
    return html`
      <li part="file-row" class="file-row" data-id=${upload.id} data-status=${upload.status}>
        <span part="file-name" class="file-name" title=${upload.name}>${upload.name}</span>
        <span class="actions">${actionsFor(upload).map((action) => this.#renderButton(action, upload, t))}</span>
        ${this.#renderProgressBar(percent, t.progressLabel(upload.name), 'progress-bar')}
        <span part="file-meta" class="file-meta">
          <span class="size">${formatBytes(upload.size)}</span>
          <span class="state">${uploadStatusText(upload, t)}</span>
          ${moving ? html`<span class="speed">${t.speed(formatBytes(upload.speed))}</span>` : nothing}
          ${moving && upload.eta !== null ? html`<span class="eta">${t.eta(t.duration(upload.eta))}</span>` : nothing}
        </span>
        ${waiting === undefined ? nothing : html`<span part="file-notice" class="wait">${waiting}</span>`}
        ${problem === undefined ? nothing : html`<span part="file-error" class="error">${problem}</span>`}
      </li>
    `;
  }

  #renderProgressBar(percent: number, label: string, part: string): TemplateResult {
    return html`
      <div
        part=${part}
        class="progress-bar"
        role="progressbar"
        aria-label=${label}
        aria-valuemin="0"
        aria-valuemax="100"
        aria-valuenow=${percent}
      >
        <div part="progress-indicator" class="progress-indicator" style=${styleMap({ '--ccu-progress': `${String(percent)}%` })}></div>
      </div>
    `;
  }

  #renderButton(action: RowAction, upload: UploadSnapshot, t: Messages): TemplateResult {
    const text = t[action];
    // The accessible name says which file the button acts on (uppy#5645).
    return html`<button
      type="button"
      part="button ${action}-button"
      data-action=${action}
      aria-label=${t.buttonLabel(text, upload.name)}
      @click=${() => this[action](upload.id)}
    >${text}</button>`;
  }

  get #messages(): Messages {
    const own = this.getAttribute('lang');
    const inherited = own ?? this.parentElement?.closest('[lang]')?.getAttribute('lang') ?? document.documentElement.lang;
    return i18n[resolveLocale(inherited)];
  }

  #derivedOptions(): DerivedOptions {
    return {
      target: this.target ?? '',
      concurrency: positive(this.concurrency) ?? DEFAULT_CONCURRENCY,
      chunkSize: positive(this.chunkSize),
      maxFileSize: positive(this.maxFileSize),
      accept: this.accept ? this.accept : undefined,
      autoStart: !this.manualStart,
    };
  }

  #createEngine(): UploadEngine {
    const derived = this.#derivedOptions();
    this.#applied = derived;
    this.#providerKey = this.#currentProviderKey();
    const options: UploadEngineOptions = {
      ...derived,
      provider: createProviderClient(this.provider, { endpoint: this.endpoint, sendBody: this.#sendBody }),
      // The pool, the store and the provider client load on first use (issue 7 item 9): a page
      // that shows the element but uploads nothing loads none of them.
      hasher: lazyHashService(async () => new (await import('../hashing/hash-pool.js')).HashPool()),
      // Resume after reload (issue 4). Records are scoped to the endpoint: a ticket is only
      // valid at the backend that issued it. Without IndexedDB the store keeps them in memory.
      store: lazyUploadStore(async () => (await import('../engine/upload-record-store.js')).uploadRecordStore(), { mayHoldRecords: () => mayHoldRecords() }),
      storeScope: this.endpoint,
    };
    return new UploadEngine(options);
  }

  /** A browser client exists for the `provider` attribute's value. */
  get #providerSupported(): boolean {
    return isProviderName(this.provider) && supportedProviders().includes(this.provider);
  }

  #currentProviderKey(): string {
    return `${this.provider}\n${this.endpoint}`;
  }

  /** Push attribute changes into the engine, so later adds use them. */
  #syncEngine(): void {
    const engine = this.#uploads.existing;
    if (engine === undefined) return;
    const next = this.#derivedOptions();
    const changed = (Object.keys(next) as (keyof DerivedOptions)[]).filter((key) => this.#applied?.[key] !== next[key]);
    const patch: UploadEngineOptionsPatch = Object.fromEntries(changed.map((key) => [key, next[key]]));
    const providerKey = this.#currentProviderKey();
    if (providerKey !== this.#providerKey && this.#providerSupported) {
      patch.provider = createProviderClient(this.provider, { endpoint: this.endpoint, sendBody: this.#sendBody });
      patch.storeScope = this.endpoint;
      this.#providerKey = providerKey;
    }
    this.#applied = next;
    if (Object.keys(patch).length > 0) engine.setOptions(patch);
  }

  #announce<K extends ForwardedEventType>(type: K, detail: UploadEventDetailMap[K]): void {
    const t = this.#messages;
    if (type === 'upload-success' || type === 'upload-error') {
      const { upload } = detail as UploadEventDetailMap['upload-success'];
      this.#announcement =
        type === 'upload-success'
          ? t.announceDone(upload.name)
          : t.announceFailed(upload.name, uploadMessage(upload, t, { maxFileSize: positive(this.maxFileSize), now: Date.now() }) ?? upload.error?.message ?? '');
    }
  }

  /**
   * Once the element knows its backend, show the uploads an earlier page left unfinished
   * there (once per provider and endpoint).
   */
  #restoreStored(): void {
    if (!this.#providerSupported || !this.endpoint) return;
    const key = this.#currentProviderKey();
    if (this.#restoredKey === key) return;
    this.#restoredKey = key;
    this.#uploads.engine.restore().then(
      (restored) => {
        if (restored.length > 0) this.requestUpdate();
      },
      () => undefined,
    );
  }

  /** The upload waits for its file to be chosen again (restored without a file handle). */
  #needsPick(id: string | undefined): boolean {
    return id !== undefined && this.uploads.some((u) => u.id === id && u.waitingFor === 'file');
  }

  /** Store a file handle with its upload once the browser hands it over. */
  #keepHandle(id: string, handle: unknown): void {
    void Promise.resolve(handle).then(
      (value) => {
        if (isPersistentFileHandle(value)) this.#uploads.existing?.attachHandle(id, value);
      },
      () => undefined,
    );
  }

  /** Re-render once a second while a retry countdown is on screen. */
  #scheduleCountdown(): void {
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    if (!this.isConnected) return;
    const now = Date.now();
    const pending = this.uploads.some((u) => u.retryAt !== undefined && u.retryAt > now);
    if (pending) this.#retryTimer = setTimeout(() => this.requestUpdate(), 1000 - (now % 1000) + 5);
  }

  #openPicker = (): void => {
    this.renderRoot.querySelector<HTMLInputElement>('input.file-input')?.click();
  };

  #onKeydown = (event: KeyboardEvent): void => {
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      this.#openPicker();
    }
  };

  #onInputChange = (event: Event): void => {
    const input = event.target as HTMLInputElement;
    const files = Array.from(input.files ?? []);
    // Clear it so picking the same file again fires 'change' again.
    input.value = '';
    this.addFiles(files);
  };

  #onDragOver = (event: DragEvent): void => {
    if (!event.dataTransfer?.types.includes('Files')) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
    if (!this.#dragging) {
      this.#dragging = true;
      this.requestUpdate();
    }
  };

  #onDragLeave = (event: DragEvent): void => {
    const zone = event.currentTarget as HTMLElement;
    if (event.relatedTarget instanceof Node && zone.contains(event.relatedTarget)) return;
    this.#dragging = false;
    this.requestUpdate();
  };

  #onDrop = (event: DragEvent): void => {
    event.preventDefault();
    this.#dragging = false;
    this.requestUpdate();
    this.#addFromTransfer(event.dataTransfer, droppedHandles(event.dataTransfer));
  };

  #onPaste = (event: ClipboardEvent): void => {
    if ((event.clipboardData?.files.length ?? 0) === 0) return;
    event.preventDefault();
    this.#addFromTransfer(event.clipboardData);
  };

  #addFromTransfer(transfer: DataTransfer | null, handles: readonly (Promise<unknown> | undefined)[] = []): void {
    const files = Array.from(transfer?.files ?? []);
    // A drop or paste obeys `multiple` like the picker does.
    const added = this.addFiles(this.multiple ? files : files.slice(0, 1));
    added.forEach((upload, index) => {
      const handle = handles[index];
      if (handle !== undefined) this.#keepHandle(upload.id, handle);
    });
  }
}

if (customElements.get(CLOUD_CHUNK_UPLOADER_TAG) === undefined) {
  customElements.define(CLOUD_CHUNK_UPLOADER_TAG, CloudChunkUploader);
}

declare global {
  interface HTMLElementTagNameMap {
    'cloud-chunk-uploader': CloudChunkUploader;
  }
  interface HTMLElementEventMap {
    'upload-added': CustomEvent<UploadEventDetailMap['upload-added']>;
    'upload-progress': CustomEvent<UploadEventDetailMap['upload-progress']>;
    'upload-paused': CustomEvent<UploadEventDetailMap['upload-paused']>;
    'upload-resumed': CustomEvent<UploadEventDetailMap['upload-resumed']>;
    'upload-success': CustomEvent<UploadEventDetailMap['upload-success']>;
    'upload-error': CustomEvent<UploadEventDetailMap['upload-error']>;
    'upload-cancelled': CustomEvent<UploadEventDetailMap['upload-cancelled']>;
    'queue-complete': CustomEvent<UploadEventDetailMap['queue-complete']>;
  }
}
