/**
 * Worker-thread entry: loads its own FaceRecognizer, then answers jobs one at a time.
 * Messages in: `{ id, job }`. Messages out: `{ type: 'ready', info }`, `{ type: 'failed', error }`,
 * `{ type: 'result', id, ok, result | error, runMs }`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FaceRecognizer } from '../../../src/pipeline/index.js';
import type { InferenceJob } from './engine.js';
import { engineInfo, runJob, toWireError, type RecognizerLike } from './inference-jobs.js';
import type { WorkerConfig } from './worker-pool.js';

async function main(): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error('Expected to run as a worker thread but parentPort is null');
  const cfg = workerData as WorkerConfig;
  let recognizer: RecognizerLike;
  try {
    recognizer = await FaceRecognizer.create({
      ...(cfg.detector === undefined ? {} : { detector: cfg.detector }),
      ...(cfg.recognizer === undefined ? {} : { recognizer: cfg.recognizer }),
      ...(cfg.locations === undefined ? {} : { locations: cfg.locations }),
      runtime: { intraOpThreads: cfg.intraOpThreads },
    });
  } catch (err) {
    port.postMessage({ type: 'failed', error: toWireError(err) });
    return;
  }
  port.postMessage({ type: 'ready', info: engineInfo(recognizer, cfg.threshold) });
  port.on('message', (msg: { id: number; job: InferenceJob }) => {
    const started = performance.now();
    runJob(recognizer, msg.job).then(
      (result) => port.postMessage({ type: 'result', id: msg.id, ok: true, result, runMs: performance.now() - started }),
      (err: unknown) => port.postMessage({ type: 'result', id: msg.id, ok: false, error: toWireError(err), runMs: performance.now() - started }),
    );
  });
}

void main();
