// mayHoldRecords: the raw IndexedDB look the element uses to skip loading the store on page load.
import { IdbRecordStore, mayHoldRecords } from '../../src/persistence/index.js';
import { assert, strictEqual as equal } from '../support/browser-assert.js';

function deleteDatabase(name: string): Promise<void> {
  return new Promise((resolve) => {
    const request = indexedDB.deleteDatabase(name);
    request.onsuccess = request.onerror = request.onblocked = () => resolve();
  });
}

async function databaseExists(name: string): Promise<boolean> {
  return (await indexedDB.databases()).some((db) => db.name === name);
}

describe('mayHoldRecords', () => {
  it('says no for a missing database without creating it, yes once a record is stored, no once it is gone', async () => {
    const name = `ccu-look-${String(Math.random()).slice(2)}`;
    try {
      equal(await mayHoldRecords(name), false, 'missing database');
      equal(await databaseExists(name), false, 'the look created no database');
      const store = new IdbRecordStore({ name });
      await store.put({ id: 'r1', expiresAt: Date.now() + 60_000 });
      equal(await mayHoldRecords(name), true, 'one record');
      await store.delete('r1');
      equal(await mayHoldRecords(name), false, 'empty store');
      // The look never holds the database open: the store keeps working around it.
      await store.put({ id: 'r2', expiresAt: Date.now() + 60_000 });
      assert((await store.list()).some((r) => r.id === 'r2'), 'the store still writes after the looks');
      store.close();
    } finally {
      await deleteDatabase(name);
    }
  });
});
