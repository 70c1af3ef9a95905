/**
 * Worker-thread entry of `arcface eval`: opens its own FaceRecognizer (one intra-op thread) and
 * embeds the central face of the image bytes it is sent, one at a time.
 * Messages in: `{ id, bytes }`. Out: `{ type: 'ready', fingerprint }`, `{ type: 'failed', error }`,
 * `{ type: 'result', id, ok: true, embedding, fallback, recognizerMs }` or `{ type: 'result', id, ok: false, error }`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { asArcFaceError } from '../../src/core/index.js';
import { embedCentralFace } from '../../src/eval/index.js';
import { FaceRecognizer } from '../../src/pipeline/index.js';
import type { EvalWorkerConfig } from './eval-workers.js';

function wire(err: unknown): { code: string; message: string } {
  const e = asArcFaceError(err);
  return { code: e.code, message: e.message };
}

async function main(): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error('Expected to run as a worker thread but parentPort is null');
  const cfg = workerData as EvalWorkerConfig;
  let fr: FaceRecognizer;
  try {
    fr = await FaceRecognizer.create({
      locations: cfg.locations,
      detector: cfg.detector,
      recognizer: cfg.recognizer,
      flip: cfg.flip,
      runtime: { intraOpThreads: 1 },
    });
  } catch (err) {
    port.postMessage({ type: 'failed', error: wire(err) });
    return;
  }
  port.postMessage({ type: 'ready', fingerprint: fr.fingerprint });
  let queue = Promise.resolve();
  port.on('message', (msg: { id: number; bytes: Uint8Array } | { close: true }) => {
    if ('close' in msg) {
      queue = queue.then(() => fr.dispose()).then(() => port.close());
      return;
    }
    queue = queue.then(async () => {
      try {
        const r = await embedCentralFace(fr, msg.bytes);
        const embedding = r.embedding.slice();
        port.postMessage({ type: 'result', id: msg.id, ok: true, embedding, fallback: r.fallback, recognizerMs: r.recognizerMs }, [embedding.buffer]);
      } catch (err) {
        port.postMessage({ type: 'result', id: msg.id, ok: false, error: wire(err) });
      }
    });
  });
}

void main();
