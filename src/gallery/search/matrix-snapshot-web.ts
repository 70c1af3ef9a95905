import type * as NodeSnapshot from './matrix-snapshot.js';

/**
 * The browser twin of `matrix-snapshot.ts`: there is no file beside a browser gallery, so there is
 * never a snapshot to read and none is written (an IndexedDB gallery reads its rows directly).
 */
export type SnapshotKey = NodeSnapshot.SnapshotKey;

/**
 * No snapshot in the browser.
 *
 * @example
 * readSnapshot('people.matrix', key) // null
 */
export const readSnapshot: typeof NodeSnapshot.readSnapshot = () => null;

/**
 * Nothing to write in the browser.
 *
 * @example
 * await writeSnapshot('people.matrix', key, matrix) // no-op
 */
export const writeSnapshot: typeof NodeSnapshot.writeSnapshot = async () => undefined;
