import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { Command } from 'commander';
import { registerModelsCommands, type ModelsCommandOptions } from '../../apps/cli/commands/models-registry.js';
import type { CliContext } from '../../apps/cli/context.js';
import { findKnownModel, type FetchLike, type ModelLocations } from '../../src/models/index.js';
import { sharedPath } from '../helpers/shared.js';

const MODELS = sharedPath('models');
const scratch = mkdtempSync(join(tmpdir(), 'arcface-models-cli-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

async function cli(args: string[], locations: ModelLocations, options: ModelsCommandOptions = {}): Promise<{ out: string; err: string; code: number }> {
  const stdout = new Capture();
  const stderr = new Capture();
  const ctx: CliContext = { locations, stdout, stderr, env: {}, json: false };
  const program = new Command().exitOverride();
  registerModelsCommands(program.command('models'), ctx, options);
  await program.parseAsync(['node', 'arcface', 'models', ...args]);
  // Commands set the context's exit code (the program turns it into the process's).
  return { out: stdout.text, err: stderr.text, code: ctx.exitCode ?? 0 };
}

function freshDir(name: string): string {
  const dir = join(scratch, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

describe('arcface models list', () => {
  it('prints JSON with every known model and where it was found', async () => {
    const home = freshDir('list-home');
    const r = await cli(['list', '--json'], { home, dirs: [MODELS] });
    assert.equal(r.code, 0);
    const parsed = JSON.parse(r.out) as { home: string; models: { name: string; status: string; path?: string }[] };
    assert.equal(parsed.home, home);
    assert.equal(parsed.models.find((m) => m.name === 'yunet-n')?.path, join(MODELS, 'yunet_n_dynamic.onnx'));
    assert.equal(parsed.models.find((m) => m.name === 'glintr100')?.status, 'missing');
    assert.equal(r.err, '');
  });

  it('prints a table, with checksum status under --verify', async () => {
    const r = await cli(['list', '--verify'], { home: freshDir('list-verify'), dirs: [MODELS] });
    assert.equal(r.code, 0);
    const row = r.out.split('\n').find((l) => l.startsWith('w600k-mbf-int8 '));
    assert.ok(row?.includes(' ok ') && row.includes('non-commercial'), row);
    assert.ok(r.out.includes(`Searched: ${MODELS}`));
  });
});

describe('arcface models info', () => {
  it('shows the registry facts of a model, found or not', async () => {
    const r = await cli(['info', 'w600k-mbf-int8'], { home: freshDir('info'), dirs: [MODELS] });
    assert.equal(r.code, 0);
    assert.match(r.out, /sha256 +7caa7fb0ad6c37b33e6c59f6411084b487aaabd596bba645d2cce391a5871120/);
    assert.match(r.out, /threshold cosine 0\.249 at FAR 0\.001/);
    assert.match(r.out, /\[non-commercial\]/);
    assert.match(r.out, /found +\/.*w600k_mbf_int8\.onnx \(found\)/);
    const json = await cli(['info', 'glintr100', '--json'], { home: freshDir('info-json'), dirs: [] });
    const parsed = JSON.parse(json.out) as { fileName: string; status: string; sources: { entry: string }[] };
    assert.equal(parsed.fileName, 'glintr100.onnx');
    assert.equal(parsed.status, 'missing');
    assert.equal(parsed.sources[0]?.entry, 'glintr100.onnx');
  });

  it('rejects an unknown name with exit code 3', async () => {
    const r = await cli(['info', 'nope'], { home: freshDir('info-unknown'), dirs: [] });
    assert.equal(r.code, 3);
    assert.match(r.err, /MODEL_UNKNOWN_NAME.*glintr100/);
  });
});

describe('arcface models add / verify', () => {
  it('adds a renamed known model under its registry name, prints the licence notice once, then verifies', async () => {
    const home = join(scratch, 'add-home');
    rmSync(home, { recursive: true, force: true });
    const src = join(freshDir('add-src'), 'download.onnx');
    copyFileSync(join(MODELS, 'det_500m.onnx'), src);
    const first = await cli(['add', src], { home, dirs: [] });
    assert.equal(first.code, 0);
    assert.match(first.out, /Added scrfd-500m -> .*det_500m\.onnx/);
    assert.match(first.err, /non-commercial/);
    const second = await cli(['add', src, '--json'], { home, dirs: [] });
    assert.equal((JSON.parse(second.out) as { copied: boolean }).copied, false);
    assert.equal(second.err, '');
    const verify = await cli(['verify', '--json'], { home, dirs: [] });
    assert.equal(verify.code, 0);
    assert.deepEqual(
      (JSON.parse(verify.out) as { name: string; status: string }[]).map((v) => [v.name, v.status]),
      [['scrfd-500m', 'ok']],
    );
  });

  it('verify exits 3 and names a damaged file', async () => {
    const home = freshDir('verify-bad');
    const bytes = readFileSync(join(MODELS, 'retinaface_mbnet0.25.onnx'));
    bytes.writeUInt8(bytes.readUInt8(500) ^ 0xff, 500);
    writeFileSync(join(home, 'retinaface_mbnet0.25.onnx'), bytes);
    const r = await cli(['verify'], { home, dirs: [] });
    assert.equal(r.code, 3);
    assert.match(r.out, /retinaface-mnet025\s+mismatch/);
    assert.match(r.err, /MODEL_CHECKSUM_MISMATCH: 1 file\(s\).*retinaface-mnet025/);
  });

  it('add reports a missing file on stderr with exit code 2', async () => {
    const r = await cli(['add', join(scratch, 'none.onnx')], { home: freshDir('add-missing'), dirs: [] });
    assert.equal(r.code, 2);
    assert.match(r.err, /^arcface: FILE_NOT_FOUND: /);
    assert.equal(r.out, '');
  });
});

describe('arcface models pull', () => {
  const offline = { fetch: (): Promise<Response> => Promise.reject(new TypeError('fetch failed', { cause: new Error('connect ENETUNREACH') })) };

  it('downloads over HTTP with progress on stderr, then the file is in home', async () => {
    const bytes = readFileSync(join(MODELS, 'yunet_n_dynamic.onnx'));
    const server = createServer((_req, res) => void res.writeHead(200, { 'content-length': bytes.length }).end(bytes));
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const local = `http://127.0.0.1:${(server.address() as AddressInfo).port}/yunet_n_dynamic.onnx`;
    const requested: string[] = [];
    // The registry URL is answered by a server on this machine: real HTTP, no network.
    const viaLoopback: FetchLike = (url, init) => {
      requested.push(url);
      return fetch(local, init);
    };
    try {
      const home = freshDir('pull-http');
      const r = await cli(['pull', 'yunet-n'], { home, dirs: [] }, { fetch: viaLoopback });
      assert.equal(r.code, 0, r.err);
      assert.deepEqual(requested, [findKnownModel('yunet-n')?.sources[0]?.url]);
      assert.match(r.err, /^Downloading https:\/\/github\.com\/ShiqiYu\/libfacedetection\.train\/raw\/.*yunet_n_dynamic\.onnx\n/);
      assert.match(r.err, /yunet-n: 100% 315\.3 KB\/315\.3 KB in 0:0\d/);
      assert.match(r.out, /^Downloaded yunet-n -> .*yunet_n_dynamic\.onnx \(SHA-256 verified\)/);
      assert.deepEqual(readdirSync(home), ['yunet_n_dynamic.onnx']);
    } finally {
      server.close();
    }
  });

  it('reports a present copy without downloading', async () => {
    const r = await cli(['pull', 'yunet-2023mar', '--json'], { home: freshDir('pull-present'), dirs: [MODELS] }, offline);
    assert.equal(r.code, 0);
    const got = JSON.parse(r.out) as { downloaded: boolean; verified: boolean };
    assert.equal(got.downloaded, false);
    assert.equal(got.verified, true);
  });

  it('fails with exit code 3 and how to add the file by hand when the network is unreachable', async () => {
    const home = freshDir('pull-offline');
    const r = await cli(['pull', 'w600k-mbf'], { home, dirs: [] }, offline);
    assert.equal(r.code, 3);
    assert.match(r.err, /MODEL_DOWNLOAD_FAILED/);
    assert.match(r.err, /buffalo_sc\.zip \(extract w600k_mbf\.onnx\)/);
    assert.match(r.err, /arcface models add FILE/);
    assert.deepEqual(readdirSync(home), []);
  });

  it('rejects an unknown name with exit code 3, as JSON on stderr under --json', async () => {
    const r = await cli(['pull', 'nope', '--json'], { home: freshDir('pull-unknown'), dirs: [] }, offline);
    assert.equal(r.code, 3);
    assert.equal((JSON.parse(r.err) as { code: string }).code, 'MODEL_UNKNOWN_NAME');
  });
});
