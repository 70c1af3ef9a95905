import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SqliteGalleryStore } from '../../src/gallery/index.js';
import { REPO_ROOT } from '../helpers/shared.js';
import { DIM, FP, scratch } from './fixtures.js';
import { killOnExit } from '../helpers/children.js';

const CHILD = fileURLToPath(new URL('./enroll-loop.ts', import.meta.url));

/** Starts the enrolment loop and SIGKILLs it once `after` identities are reported committed. */
function enrollThenKill(path: string, prefix: string, after: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = killOnExit(spawn(process.execPath, ['--import', 'tsx', CHILD, path, prefix], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] }));
    const committed: string[] = [];
    let buf = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const l of lines) if (l.startsWith('committed ')) committed.push(l.slice(10));
      if (committed.length >= after && !child.killed) child.kill('SIGKILL');
    });
    child.on('exit', (_code, signal) => {
      if (signal === 'SIGKILL') resolve(committed);
      else reject(new Error(`enrolment child exited without being killed: ${err}`));
    });
  });
}

describe('crash safety', () => {
  it('a writer killed with SIGKILL mid-enrolment loses no committed identity and leaves none half-written', async () => {
    const path = join(scratch('crash'), 'g.db');
    const first = await enrollThenKill(path, 'first', 40);
    const second = await enrollThenKill(path, 'second', 10);
    const store = await SqliteGalleryStore.open(path, { fingerprint: FP, embeddingSize: DIM });
    assert.deepEqual(store.integrityCheck(), ['ok']);
    const list = await store.listIdentities();
    const ids = new Set(list.map((i) => i.id));
    for (const id of [...first, ...second]) assert.ok(ids.has(id), `committed identity ${id} is missing`);
    for (const i of list) assert.equal(i.templateCount, 50, `${i.id} has ${i.templateCount} templates`);
    const m = await store.loadMatrix();
    assert.equal(m.templateIds.length, list.length * 50);
    await store.close();
  });
});
