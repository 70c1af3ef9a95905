import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { KeyStore } from '../../apps/server/services/key-store.js';
import { runCli } from '../helpers/cli.js';
import { REPO_ROOT, sharedPath } from '../helpers/shared.js';
import { lfw, POLL_DEADLINE_MS, waitUntil } from './helpers.js';
import { killOnExit } from '../helpers/children.js';

/** A process running `arcface serve` through the command modules, as main.ts wires them. */
function startServe(args: string[], env: Record<string, string>) {
  const mod = (p: string): string => JSON.stringify(pathToFileURL(join(REPO_ROOT, p)).href);
  const code = [
    `import { Command } from 'commander';`,
    `const { registerServeCommand } = await import(${mod('apps/cli/commands/serve.ts')});`,
    `const { contextFromProcess } = await import(${mod('apps/cli/context.ts')});`,
    `const program = new Command();`,
    `registerServeCommand(program, contextFromProcess());`,
    `await program.parseAsync(process.argv);`,
  ].join('\n');
  return killOnExit(
    spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code, 'arcface', 'serve', ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
}

/** Waits for the process to say where it listens; fails when it exits first or after the poll deadline. */
async function listening(child: ReturnType<typeof startServe>): Promise<{ url: string; exited: Promise<number | null>; stderr: () => string }> {
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let code: number | null | undefined;
  const exited = new Promise<number | null>((res) => child.once('exit', (c) => res(c)));
  void exited.then((c) => (code = c));
  let url: string | undefined;
  await waitUntil(
    () => {
      if (code !== undefined) throw new Error(`serve exited with ${code}: ${stderr}`);
      url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr)?.[1];
      return url !== undefined;
    },
    `"listening on" from arcface serve (stderr so far: ${JSON.stringify(stderr.slice(-500))})`,
    POLL_DEADLINE_MS * 2,
  );
  return { url: url as string, exited, stderr: () => stderr };
}

/** Collects a process's whole stderr and its exit code. */
async function finished(child: ReturnType<typeof startServe>): Promise<{ code: number | null; stderr: string }> {
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((res) => child.once('exit', (c) => res(c)));
  return { code, stderr };
}

describe('arcface serve (a real process)', () => {
  it('listens on 127.0.0.1, checks keys, and on SIGTERM finishes the request in flight before exiting 0', async () => {
    const home = mkdtempSync(join(tmpdir(), 'arcface-serve-'));
    const keys = KeyStore.open(join(home, 'keys.db'));
    const key = keys.create({ scope: 'read' }).key;
    keys.close();
    const child = startServe(['--port', '0', '--gallery', join(home, 'g.db'), '--workers', '1'], { ARCFACE_HOME: home, ARCFACE_MODELS: sharedPath('models') });
    const { url, exited, stderr } = await listening(child);
    // The CLI prints this line once serve() has returned, just after "listening on": wait for it.
    await waitUntil(() => /keys are checked against .*keys\.db/.test(stderr()), `the key store line (stderr: ${JSON.stringify(stderr().slice(-300))})`);
    assert.equal((await fetch(`${url}/readyz`)).status, 200);
    assert.equal((await fetch(`${url}/v1/subjects`)).status, 401);
    const body = new FormData();
    body.append('image1', new Blob([new Uint8Array(lfw('Colin_Powell', 40))]), 'a.jpg');
    body.append('image2', new Blob([new Uint8Array(lfw('Colin_Powell', 49))]), 'b.jpg');
    const inflight = fetch(`${url}/v1/verify`, { method: 'POST', headers: { 'x-api-key': key }, body });
    await waitUntil(async () => /^arcface_inference_in_flight [1-9]/m.test(await (await fetch(`${url}/metrics`)).text()), 'a verify job in flight');
    child.kill('SIGTERM');
    const res = await inflight;
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { match: boolean }).match, true);
    assert.equal(await exited, 0, stderr());
    assert.match(stderr(), /SIGTERM: finishing in-flight requests/);
    assert.match(stderr(), /stopped/);
  });

  it('a port another process listens on is PORT_IN_USE (exit 2) naming the port and the interface, not INTERNAL', async () => {
    const other = createServer();
    await new Promise<void>((res) => other.listen(0, '127.0.0.1', res));
    const { port } = other.address() as AddressInfo;
    try {
      const home = mkdtempSync(join(tmpdir(), 'arcface-serve-'));
      const r = await runCli(['serve', '--port', String(port), '--no-auth', '--workers', '1'], { ARCFACE_HOME: home });
      assert.equal(r.code, 2, r.stderr);
      assert.match(
        r.stderr,
        new RegExp(`^arcface: PORT_IN_USE: Expected a free port ${port} on 127\\.0\\.0\\.1 but another process listens there; choose another --port`, 'm'),
      );
      assert.doesNotMatch(r.stderr, /INTERNAL|EADDRINUSE/);
    } finally {
      await new Promise<void>((res) => other.close(() => res()));
    }
  });

  it('--max-pixels sets the image pixel limit: a larger image is refused with 413 IMAGE_TOO_LARGE; an invalid value is refused at start', async () => {
    const home = mkdtempSync(join(tmpdir(), 'arcface-serve-'));
    const env = { ARCFACE_HOME: home, ARCFACE_MODELS: sharedPath('models') };
    const bad = await finished(startServe(['--port', '0', '--no-auth', '--max-pixels', '0'], env));
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /--max-pixels/);
    // The LFW photos here are 150 × 150 = 22,500 pixels: with a limit one pixel short, the photo is refused
    // and the same photo cut to 150 × 149 (22,350 pixels) is accepted.
    const child = startServe(['--port', '0', '--no-auth', '--workers', '1', '--max-pixels', '22499'], env);
    const { url, exited } = await listening(child);
    try {
      const photo = lfw('Colin_Powell', 40);
      const detect = (bytes: Buffer): Promise<Response> =>
        fetch(`${url}/v1/detect`, { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: new Uint8Array(bytes) });
      const over = await detect(photo);
      assert.equal(over.status, 413);
      const err = (await over.json()) as { code: string; message: string };
      assert.equal(err.code, 'IMAGE_TOO_LARGE');
      assert.match(err.message, /at most 22499 pixels/);
      const cut = await sharp(photo).extract({ left: 0, top: 0, width: 150, height: 149 }).jpeg().toBuffer();
      assert.equal((await detect(cut)).status, 200);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });
});
