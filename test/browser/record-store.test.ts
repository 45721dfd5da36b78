// IdbRecordStore against the browser's real IndexedDB: round trips, ordering, expiry,
// corrupt records, schema upgrades, versionchange, quota and missing IndexedDB.
import { IdbRecordStore, RECORD_DB_VERSION } from '../../src/persistence/index.js';
import type { StoredRecord } from '../../src/persistence/index.js';
import { assert, equal } from '../support/browser-assert.js';

interface Item extends StoredRecord {
  id: string;
  expiresAt: number;
  parts: number[];
  note?: string;
}

const HOUR = 60 * 60 * 1000;

function item(id: string, parts: number[] = [], expiresAt = Date.now() + HOUR): Item {
  return { id, expiresAt, parts };
}

function isItem(value: unknown): value is Item {
  const v = value as Partial<Item> | null;
  return typeof v?.id === 'string' && typeof v.expiresAt === 'number' && Array.isArray(v.parts);
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('request failed'));
  });
}

/** Open a database by hand (as an older or newer page would), with an optional upgrade step. */
function rawOpen(name: string, version: number, upgrade?: (db: IDBDatabase) => void): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(name, version);
    req.onupgradeneeded = () => upgrade?.(req.result);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('open failed'));
    req.onblocked = () => reject(new Error(`opening ${name} v${String(version)} was blocked`));
  });
}

async function rawGetAll(name: string, store: string): Promise<unknown[]> {
  const db = await rawOpen(name, RECORD_DB_VERSION);
  try {
    return await request<unknown[]>(db.transaction(store).objectStore(store).getAll());
  } finally {
    db.close();
  }
}

let counter = 0;
const opened: IdbRecordStore<Item>[] = [];
const names: string[] = [];

/** A database of this test's own, deleted afterwards. */
function dbName(): string {
  counter += 1;
  const name = `ccu-record-store-test-${String(Date.now())}-${String(counter)}`;
  names.push(name);
  return name;
}

function store(name: string, now?: () => number): IdbRecordStore<Item> {
  const created = new IdbRecordStore<Item>({ name, isValid: isItem, ...(now !== undefined && { now }) });
  opened.push(created);
  return created;
}

describe('IdbRecordStore', () => {
  afterEach(async () => {
    for (const s of opened.splice(0)) s.close();
    await new Promise((resolve) => setTimeout(resolve, 10));
    await Promise.all(names.splice(0).map((name) => request(indexedDB.deleteDatabase(name)).catch(() => undefined)));
  });

  it('stores, lists, replaces and deletes whole records, handing out copies', async () => {
    const s = store(dbName());
    const record = item('a', [0, 1]);
    await s.put(record);
    record.parts.push(2);
    equal(await s.list(), [item('a', [0, 1], record.expiresAt)], 'stored before the change');
    await s.put({ ...record, note: 'replaced' });
    const [listed] = await s.list();
    equal(listed?.parts, [0, 1, 2], 'parts after replace');
    equal(listed?.note, 'replaced', 'note');
    await s.delete('a');
    equal(await s.list(), [], 'after delete');
    assert(s.durable, 'durable');
    equal(s.problem, undefined, 'problem');
  });

  it('runs calls in the order they were made, so a delete after a put wins', async () => {
    const s = store(dbName());
    const writes = [s.put(item('x', [1])), s.put(item('x', [1, 2])), s.delete('x'), s.put(item('y', [3])), s.put(item('y', [3, 4]))];
    await Promise.all(writes);
    equal((await s.list()).map((r) => [r.id, r.parts]), [['y', [3, 4]]], 'final state');
  });

  it('keeps records across connections, like a reload', async () => {
    const name = dbName();
    const first = store(name);
    await first.put(item('kept', [0, 1, 2]));
    first.close();
    equal((await store(name).list()).map((r) => r.parts), [[0, 1, 2]], 'seen by a new connection');
  });

  it('deletes expired records and expired finished marks when listing', async () => {
    let now = Date.now();
    const name = dbName();
    const s = store(name, () => now);
    await s.put(item('old', [], now + 1000));
    await s.put(item('fresh', [], now + HOUR));
    const result = { provider: 'feishu' as const, name: 'f.bin', size: 1, fileToken: 'box1' };
    await s.markFinished({ key: 'done-old', result, expiresAt: now + 1000 });
    await s.markFinished({ key: 'done-fresh', result, expiresAt: now + HOUR });
    equal((await s.finished('done-old'))?.result.fileToken, 'box1', 'fresh mark readable');
    now += 2000;
    equal(await s.finished('done-old'), undefined, 'an expired mark is not returned');
    equal((await s.list()).map((r) => r.id), ['fresh'], 'listed');
    equal((await rawGetAll(name, 'uploads')).length, 1, 'expired record deleted from IndexedDB');
    equal((await rawGetAll(name, 'finished')).map((m) => (m as { key: string }).key), ['done-fresh'], 'expired mark deleted');
  });

  it('skips and deletes corrupt records instead of failing', async () => {
    const name = dbName();
    const s = store(name);
    await s.put(item('good', [1]));
    s.close();
    const db = await rawOpen(name, RECORD_DB_VERSION);
    const tx = db.transaction('uploads', 'readwrite');
    tx.objectStore('uploads').put({ id: 'no-expiry', parts: [] });
    tx.objectStore('uploads').put({ id: 'bad-parts', expiresAt: Date.now() + HOUR, parts: 'all of them' });
    tx.objectStore('uploads').put({ id: 'nan', expiresAt: Number.NaN, parts: [] });
    await new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error ?? new Error('write failed'));
    });
    db.close();
    equal((await s.list()).map((r) => r.id), ['good'], 'only the good record');
    equal((await rawGetAll(name, 'uploads')).map((r) => (r as { id: string }).id), ['good'], 'corrupt records deleted');
  });

  it('upgrades a version 1 database and keeps its records', async () => {
    const name = dbName();
    const v1 = await rawOpen(name, 1, (db) => {
      db.createObjectStore('uploads', { keyPath: 'id' }).createIndex('expiresAt', 'expiresAt');
    });
    const tx = v1.transaction('uploads', 'readwrite');
    tx.objectStore('uploads').put(item('from-v1', [0, 1, 2, 3]));
    await new Promise((resolve) => {
      tx.oncomplete = resolve;
    });
    v1.close();
    const s = store(name);
    equal((await s.list()).map((r) => [r.id, r.parts]), [['from-v1', [0, 1, 2, 3]]], 'records after upgrade');
    const result = { provider: 'feishu' as const, name: 'v.bin', size: 1, fileToken: 'box2' };
    await s.markFinished({ key: 'k', result, expiresAt: Date.now() + HOUR });
    equal((await s.finished('k'))?.result.fileToken, 'box2', 'the store added in version 2 works');
    s.close();
    const db = await rawOpen(name, RECORD_DB_VERSION);
    equal(db.version, RECORD_DB_VERSION, 'version');
    equal([...db.objectStoreNames].sort(), ['finished', 'uploads'], 'object stores');
    db.close();
  });

  it('closes on versionchange so a newer page can upgrade, then keeps working in memory', async () => {
    const name = dbName();
    const s = store(name);
    await s.put(item('before', [1]));
    // A newer page opens the next version; our open connection must not block it.
    const newer = await rawOpen(name, RECORD_DB_VERSION + 1, (db) => {
      db.createObjectStore('something-new');
    });
    newer.close();
    await s.put(item('after', [2]));
    assert(!s.durable, 'not durable once superseded');
    equal(s.problem, 'superseded', 'problem');
    equal((await s.list()).map((r) => r.id), ['after'], 'the in-memory records');
  });

  it('falls back to memory when the quota is exhausted, and drops the stale stored copy', async () => {
    const name = dbName();
    const s = store(name);
    await s.put(item('big', [0]));
    // Make every write fail the way a full origin does.
    // eslint-disable-next-line @typescript-eslint/unbound-method -- put back below, called with its receiver
    const original = IDBObjectStore.prototype.put;
    IDBObjectStore.prototype.put = function put(): IDBRequest<IDBValidKey> {
      throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    };
    try {
      await s.put(item('big', [0, 1]));
    } finally {
      IDBObjectStore.prototype.put = original;
    }
    assert(!s.durable, 'not durable after a quota error');
    equal(s.problem, 'quota', 'problem');
    equal((await s.list()).map((r) => r.parts), [[0, 1]], 'the newest record lives on in memory');
    equal(await rawGetAll(name, 'uploads'), [], 'the outdated stored copy is gone');
  });

  it('works in memory where IndexedDB is missing (private mode, storage disabled)', async () => {
    const own = Object.getOwnPropertyDescriptor(globalThis, 'indexedDB');
    Object.defineProperty(globalThis, 'indexedDB', { value: undefined, configurable: true, writable: true });
    try {
      const s = store(dbName());
      await s.put(item('m', [5]));
      equal((await s.list()).map((r) => r.parts), [[5]], 'listed from memory');
      assert(!s.durable, 'not durable');
      equal(s.problem, 'unavailable', 'problem');
    } finally {
      if (own !== undefined) Object.defineProperty(globalThis, 'indexedDB', own);
      else delete (globalThis as { indexedDB?: unknown }).indexedDB;
    }
    assert(typeof indexedDB !== 'undefined', 'IndexedDB is back for the other tests');
  });

  it('clears records and finished marks', async () => {
    const s = store(dbName());
    await s.put(item('a'));
    await s.markFinished({ key: 'k', result: { provider: 'feishu', name: 'a', size: 1 }, expiresAt: Date.now() + HOUR });
    await s.clear();
    equal(await s.list(), [], 'records');
    equal(await s.finished('k'), undefined, 'marks');
  });
});
