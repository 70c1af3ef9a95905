/**
 * Two real `arcface serve` processes on one PostgreSQL database (PGlite + pgvector behind
 * pglite-socket with several connections, reached with `pg`), with the real models and LFW photos:
 * what one replica writes the other serves at once — faces, identification, thumbnails, API keys
 * (created, revoked) and the rate limit, which counts requests to both against one budget.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { PGlite } from '@electric-sql/pglite';
import { Command } from 'commander';
import { registerKeysCommands } from '../../apps/cli/commands/keys.js';
import type { CliContext } from '../../apps/cli/context.js';
import { lfw } from './helpers.js';
import { spawnServes, type ServeProcess } from './serve-process.js';
import { startPgServer, type PgTestServer } from '../helpers/pg-server.js';

/**
 * Connections the database accepts: each replica's gallery pool (4), key pool (2) and rate-limit
 * pool (2), the CLI's and the test's own, with headroom.
 */
const MAX_CONNECTIONS = 32;
/** Requests per minute per key on both replicas together. */
const RATE_LIMIT = 12;

/** `arcface keys …` in this process, as main.ts wires it; returns stdout. */
async function keysCli(args: string[], home: string): Promise<string> {
  let out = '';
  const sink = (keep: boolean) =>
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        if (keep) out += chunk.toString();
        cb();
      },
    });
  const ctx: CliContext = { locations: { home, dirs: [] }, stdout: sink(true), stderr: sink(false), env: {}, json: false };
  const program = new Command().exitOverride();
  registerKeysCommands(program, ctx);
  await program.parseAsync(['node', 'arcface', 'keys', ...args]);
  return out;
}

function form(field: string, photo: Buffer, name = 'photo.jpg'): FormData {
  const body = new FormData();
  body.append(field, new Blob([new Uint8Array(photo)]), name);
  return body;
}

interface IdentifyAnswer {
  faces: { match: { subjectId: string } | null; candidates: { subjectId: string; similarity: number }[] }[];
}

describe('two arcface serve replicas on one PostgreSQL database', () => {
  let db: PGlite;
  let server: PgTestServer;
  let url: string;
  let home: string;
  let a: ServeProcess;
  let b: ServeProcess;
  let admin: string;
  let writer: string;

  before(async () => {
    server = await startPgServer({ maxConnections: MAX_CONNECTIONS });
    db = server.db;
    url = server.url;
    home = mkdtempSync(join(tmpdir(), 'arcface-replicas-'));
    // The first keys, made with the CLI straight in the database, before any server runs.
    admin = (await keysCli(['create', '--scope', 'admin', '--keys', url], home)).trim();
    writer = (await keysCli(['create', '--scope', 'write', '--keys', url], home)).trim();
    const args = ['--gallery', url, '--workers', '1', '--rate-limit', String(RATE_LIMIT), '--log-level', 'warn'];
    [a, b] = (await spawnServes(2, args, home)) as [ServeProcess, ServeProcess];
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await server?.stop();
  });

  it('keeps no state of its own: keys and rate limits in the gallery database, said at start', async () => {
    for (const r of [a, b]) {
      assert.match(r.stderr(), /API keys are checked against postgres:\/\//);
      assert.match(r.stderr(), /rate limits are counted in postgres:\/\/.*shared by every server/);
      assert.equal((await fetch(`${r.url}/readyz`)).status, 200);
    }
    const tables = (await db.query<{ table_name: string }>(`SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'arcface_%' ORDER BY 1`))
      .rows;
    for (const t of ['arcface_api_keys', 'arcface_rate_limits', 'arcface_templates', 'arcface_template_thumbnails']) {
      assert.ok(
        tables.some((r) => r.table_name === t),
        `${t} in ${JSON.stringify(tables)}`,
      );
    }
  });

  it('identifies on one replica a face enrolled through the other, serves its thumbnail, and forgets it when the other removes it', async () => {
    const h = { 'x-api-key': writer };
    const enrol = await fetch(`${a.url}/v1/subjects/colin/faces?create=true`, { method: 'POST', headers: h, body: form('image', lfw('Colin_Powell', 40)) });
    assert.equal(enrol.status, 201, await enrol.clone().text());
    const faceId = ((await enrol.json()) as { faces: { faceId: number }[] }).faces[0]?.faceId;
    assert.ok(Number.isInteger(faceId));
    const other = await fetch(`${b.url}/v1/subjects/tony/faces?create=true`, { method: 'POST', headers: h, body: form('image', lfw('Tony_Blair', 18)) });
    assert.equal(other.status, 201);

    const listed = (await (await fetch(`${b.url}/v1/subjects`, { headers: h })).json()) as { subjects: { id: string; faceCount: number }[] };
    assert.deepEqual(
      listed.subjects.map((s) => [s.id, s.faceCount]),
      [
        ['colin', 1],
        ['tony', 1],
      ],
    );
    const who = async (replica: ServeProcess, photo: Buffer): Promise<IdentifyAnswer> => {
      const res = await fetch(`${replica.url}/v1/identify`, { method: 'POST', headers: h, body: form('image', photo) });
      assert.equal(res.status, 200);
      return (await res.json()) as IdentifyAnswer;
    };
    assert.equal((await who(b, lfw('Colin_Powell', 49))).faces[0]?.match?.subjectId, 'colin');
    assert.equal((await who(a, lfw('Tony_Blair', 32))).faces[0]?.match?.subjectId, 'tony');

    const thumbs = await Promise.all([a, b].map((r) => fetch(`${r.url}/v1/faces/${faceId}/thumbnail`, { headers: h })));
    for (const t of thumbs) {
      assert.equal(t.status, 200);
      assert.equal(t.headers.get('content-type'), 'image/jpeg');
    }
    const [fromA, fromB] = await Promise.all(thumbs.map(async (t) => Buffer.from(await t.arrayBuffer())));
    assert.ok(fromB !== undefined && fromB.length > 500 && fromB[0] === 0xff && fromB[1] === 0xd8, 'a JPEG');
    assert.deepEqual(fromA, fromB);
    const faces = (await (await fetch(`${b.url}/v1/subjects/colin/faces`, { headers: h })).json()) as { faces: { faceId: number; hasThumbnail: boolean }[] };
    assert.deepEqual(
      faces.faces.map((f) => [f.faceId, f.hasThumbnail]),
      [[faceId, true]],
    );

    assert.equal((await fetch(`${b.url}/v1/subjects/colin`, { method: 'DELETE', headers: h })).status, 200);
    const after = await who(a, lfw('Colin_Powell', 49));
    assert.equal(
      after.faces[0]?.candidates.some((c) => c.subjectId === 'colin'),
      false,
    );
    assert.equal((await fetch(`${a.url}/v1/faces/${faceId}/thumbnail`, { headers: h })).status, 404);
  });

  it('clusters people across replicas: faces added through one are in the person the other builds', async () => {
    // A key of its own: the writer's budget of RATE_LIMIT requests went to the enrolment test.
    const h = { 'x-api-key': (await keysCli(['create', '--scope', 'write', '--keys', url], home)).trim() };
    const upload = async (replica: ServeProcess, photos: Buffer[]) => {
      const body = new FormData();
      photos.forEach((p, i) => body.append('image', new Blob([new Uint8Array(p)]), `p${i}.jpg`));
      const res = await fetch(`${replica.url}/v1/people/photos`, { method: 'POST', headers: h, body });
      assert.equal(res.status, 200, await res.clone().text());
    };
    await upload(a, [lfw('Andre_Agassi', 1), lfw('Andre_Agassi', 2)]);
    await upload(b, [lfw('Andre_Agassi', 4)]);
    const lists = await Promise.all(
      [a, b].map(async (r) => (await (await fetch(`${r.url}/v1/people`, { headers: h })).json()) as { people: { personId: number; faceCount: number }[] }),
    );
    assert.deepEqual(lists[0], lists[1]);
    assert.deepEqual(
      lists[0]?.people.map((p) => p.faceCount),
      [3],
      JSON.stringify(lists[0]),
    );
    const held = (await db.query<{ n: number }>(`SELECT COUNT(*)::int AS n FROM pg_locks WHERE locktype = 'advisory'`)).rows[0];
    assert.equal(held?.n, 0, 'the people write lock is released');
  });

  it('honours on one replica a key created on the other, and refuses it there as soon as the other revokes it', async () => {
    const created = await fetch(`${a.url}/v1/keys`, {
      method: 'POST',
      headers: { 'x-api-key': admin, 'content-type': 'application/json' },
      body: JSON.stringify({ scope: 'read', name: 'kiosk' }),
    });
    assert.equal(created.status, 201);
    const { id, key } = (await created.json()) as { id: string; key: string };
    assert.equal((await fetch(`${b.url}/v1/subjects`, { headers: { 'x-api-key': key } })).status, 200);
    assert.equal((await fetch(`${b.url}/v1/keys/${id}`, { method: 'DELETE', headers: { 'x-api-key': admin } })).status, 200);
    const refused = await fetch(`${a.url}/v1/subjects`, { headers: { 'x-api-key': key } });
    assert.equal(refused.status, 401);
    assert.equal(((await refused.json()) as { code: string }).code, 'UNAUTHORIZED');
    assert.match(await keysCli(['list', '--keys', url], home), new RegExp(`${id}\\s+read\\s+revoked`));
  });

  it('counts one rate limit for both replicas: requests split across them hit the limit at the configured total', async () => {
    const key = (await keysCli(['create', '--scope', 'read', '--keys', url], home)).trim();
    const h = { 'x-api-key': key };
    const statuses: number[] = [];
    for (let i = 0; i < RATE_LIMIT; i++) statuses.push((await fetch(`${(i % 2 === 0 ? a : b).url}/v1/subjects`, { headers: h })).status);
    assert.deepEqual(statuses, Array(RATE_LIMIT).fill(200));
    for (const r of [a, b]) {
      const over = await fetch(`${r.url}/v1/subjects`, { headers: h });
      assert.equal(over.status, 429);
      assert.equal(((await over.json()) as { code: string }).code, 'RATE_LIMITED');
      assert.ok(Number(over.headers.get('retry-after')) >= 1);
    }
    // Another key has its own budget.
    assert.equal((await fetch(`${b.url}/v1/subjects`, { headers: { 'x-api-key': admin } })).status, 200);
  });

  it('stops on SIGTERM with exit code 0, its database connections closed', async () => {
    await Promise.all([a.stop(), b.stop()]);
    assert.deepEqual(await Promise.all([a.exited, b.exited]), [0, 0]);
  });
});
