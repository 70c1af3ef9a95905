import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connectAsync, type MqttClient } from 'mqtt';
import { startMosquitto, type TestMosquitto } from '../helpers/mosquitto.js';
import { REPO_ROOT, sharedPath } from '../helpers/shared.js';
import { spawnServe } from './serve-process.js';
import { killOnExit } from '../helpers/children.js';

/** `arcface serve …args` to its end (30 s at most): its exit code and all of its stderr. */
async function runServe(args: readonly string[], home: string): Promise<{ code: number | null; stderr: string }> {
  const child = killOnExit(
    spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'apps', 'cli', 'main.ts'), 'serve', '--port', '0', ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, ARCFACE_HOME: home, ARCFACE_MODELS: sharedPath('models') },
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 30_000,
    }),
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // 'close' comes after the output streams have ended, so stderr is whole.
  const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
  return { code, stderr };
}

async function until(check: () => boolean, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('arcface serve --mqtt (a real process and a real mosquitto)', () => {
  let broker: TestMosquitto;
  let sub: MqttClient;
  const status: string[] = [];
  before(async () => {
    broker = await startMosquitto();
    sub = await connectAsync(broker.url, { reconnectPeriod: 0 });
    sub.on('message', (_topic, payload) => status.push(payload.toString('utf8')));
    await sub.subscribeAsync('arcface/cli/status', { qos: 1 });
  });
  after(async () => {
    await sub?.endAsync();
    await broker?.close();
  });

  it('says online when it starts, and the broker says offline for it (its last will) when the process is killed', async () => {
    const home = mkdtempSync(join(tmpdir(), 'arcface-events-serve-'));
    const srv = await spawnServe(['--no-auth', '--workers', '1', '--mqtt', broker.url, '--server-id', 'cli'], home);
    try {
      assert.match(srv.stderr(), /events go to the MQTT broker mqtt:\/\/127\.0\.0\.1:\d+ \(availability at arcface\/cli\/status/);
      await until(() => status.includes('online'), 'online');
      srv.child.kill('SIGKILL');
      await srv.exited;
      // No DISCONNECT was sent: the broker publishes the will as soon as it sees the connection drop.
      await until(() => status.at(-1) === 'offline', 'the last will');
    } finally {
      await srv.stop();
    }
  });

  it('refuses webhooks without a secret file, and a broker URL that is not mqtt(s), before starting anything', async () => {
    const home = mkdtempSync(join(tmpdir(), 'arcface-events-serve-'));
    const noSecret = await runServe(['--no-auth', '--webhook', 'https://hooks.lan/x'], home);
    assert.notEqual(noSecret.code, 0);
    assert.match(noSecret.stderr, /Expected --webhook-secret-file with --webhook/);
    const notMqtt = await runServe(['--no-auth', '--mqtt', 'http://broker.lan'], home);
    assert.notEqual(notMqtt.code, 0);
    assert.match(notMqtt.stderr, /Expected a mqtt:\/\/ or mqtts:\/\/ URL for --mqtt/);
  });
});
