import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { KeyStore } from '../../apps/server/key-store.js';
import { REPO_ROOT, sharedPath } from '../helpers/shared.js';
import { lfw } from './helpers.js';

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
  return spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code, 'arcface', 'serve', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

describe('arcface serve (a real process)', () => {
  it('listens on 127.0.0.1, checks keys, and on SIGTERM finishes the request in flight before exiting 0', async () => {
    const home = mkdtempSync(join(tmpdir(), 'arcface-serve-'));
    const keys = KeyStore.open(join(home, 'keys.db'));
    const key = keys.create({ scope: 'read' }).key;
    keys.close();
    const child = startServe(['--port', '0', '--gallery', join(home, 'g.db'), '--workers', '1'], { ARCFACE_HOME: home, ARCFACE_MODELS: sharedPath('models') });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((res) => child.once('exit', (c) => res(c)));
    const url = await new Promise<string>((res, rej) => {
      const timer = setInterval(() => {
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
        if (m !== null) {
          clearInterval(timer);
          res(m[1] as string);
        }
      }, 50);
      void exited.then((c) => {
        clearInterval(timer);
        rej(new Error(`serve exited with ${c}: ${stderr}`));
      });
    });
    assert.match(stderr, /keys are checked against .*keys\.db/);
    assert.equal((await fetch(`${url}/readyz`)).status, 200);
    assert.equal((await fetch(`${url}/v1/subjects`)).status, 401);
    const body = new FormData();
    body.append('image1', new Blob([new Uint8Array(lfw('Colin_Powell', 40))]), 'a.jpg');
    body.append('image2', new Blob([new Uint8Array(lfw('Colin_Powell', 49))]), 'b.jpg');
    const inflight = fetch(`${url}/v1/verify`, { method: 'POST', headers: { 'x-api-key': key }, body });
    for (;;) {
      if (/^arcface_inference_in_flight [1-9]/m.test(await (await fetch(`${url}/metrics`)).text())) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    child.kill('SIGTERM');
    const res = await inflight;
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { match: boolean }).match, true);
    assert.equal(await exited, 0, stderr);
    assert.match(stderr, /SIGTERM: finishing in-flight requests/);
    assert.match(stderr, /stopped/);
  });
});
