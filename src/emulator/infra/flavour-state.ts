import { join } from 'node:path';
import { BlobStore } from './blob-store.js';
import { JsonStateFile } from './json-state-file.js';

/** The one state document version every flavour writes. */
const STATE_VERSION = 1;

/** The maps of a flavour's state, one per table name: records by id. */
export type StateTables<Records extends Record<string, unknown>> = { readonly [K in keyof Records]: Map<string, Records[K]> };

type StateDoc<Records extends Record<string, unknown>> = { version: number } & { [K in keyof Records]: Record<string, Records[K]> };

/**
 * A flavour's persistent state: its record tables in `<dataDir>/<flavour>/state.json` (one
 * versioned document, written through {@link JsonStateFile}) and its bytes in a
 * `BlobStore` (see {@link FlavourState}) under `<dataDir>/<flavour>`, so a restart on the same dataDir keeps
 * finished files downloadable and open uploads resumable. Flavours extend it with their own
 * record types and look-ups.
 *
 * @example
 * class DemoState extends FlavourState<{ uploads: DemoUpload; files: DemoFile }> {
 *   readonly uploads = this.tables.uploads;
 *   constructor(dataDir: string) { super(dataDir, 'demo', ['uploads', 'files']); }
 * }
 */
export class FlavourState<Records extends Record<string, unknown>> {
  readonly store: BlobStore;
  /** The record tables by name, as loaded and as saved. */
  readonly tables: StateTables<Records>;
  readonly #flavour: string;
  readonly #names: readonly (keyof Records & string)[];
  readonly #file: JsonStateFile<StateDoc<Records>>;
  #queued: Promise<void> | undefined;
  #writing: Promise<void> = Promise.resolve();

  /**
   * @param dataDir the emulator's data folder.
   * @param flavour the flavour's folder name, e.g. `feishu`.
   * @param names the record tables, each saved under its name.
   */
  constructor(dataDir: string, flavour: string, names: readonly (keyof Records & string)[]) {
    const root = join(dataDir, flavour);
    this.store = new BlobStore(root);
    this.#file = new JsonStateFile(join(root, 'state.json'));
    this.#flavour = flavour;
    this.#names = names;
    this.tables = Object.fromEntries(names.map((name) => [name, new Map()])) as unknown as StateTables<Records>;
  }

  /** Prepares folders and loads what a previous run saved. */
  async init(): Promise<void> {
    await this.store.init();
    const doc = await this.#file.load();
    if (!doc) return;
    if (doc.version !== STATE_VERSION) throw new Error(`unsupported ${this.#flavour} state version ${String(doc.version)} in ${this.#file.path}`);
    for (const name of this.#names) {
      const table = this.tables[name];
      for (const [id, record] of Object.entries(doc[name])) table.set(id, record);
    }
  }

  /**
   * Writes the current state; resolves when a write that started after this call is on disk.
   * Calls made while a write is in flight share one follow-up write, so an upload of 10 000
   * parts does not rewrite the document 10 000 times.
   */
  save(): Promise<void> {
    if (this.#queued) return this.#queued;
    const run = this.#writing
      .catch(() => undefined)
      .then(() => {
        this.#queued = undefined;
        return this.#file.save(this.#doc());
      });
    this.#queued = run;
    this.#writing = run;
    return run;
  }

  /** Waits for pending writes, a queued follow-up write included. */
  async flush(): Promise<void> {
    await this.#writing.catch(() => undefined);
    await this.#file.flush();
  }

  #doc(): StateDoc<Records> {
    const doc: Record<string, unknown> = { version: STATE_VERSION };
    for (const name of this.#names) doc[name] = Object.fromEntries(this.tables[name]);
    return doc as StateDoc<Records>;
  }
}
