import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeBase64Image } from '../../apps/server/plugins/image-input.js';
import Fastify from 'fastify';
import { ArcFaceError } from '../../src/core/index.js';
import { sendError, toArcFaceError } from '../../apps/server/plugins/http-errors.js';
import { LATENCY_BUCKETS, ServerMetrics } from '../../apps/server/plugins/metrics.js';
import { resolveServerOptions, SERVER_DEFAULTS } from '../../apps/server/options.js';
import { routeScope } from '../../apps/server/plugins/auth.js';
import { cfBox, cfEmbeddings, cfSelect, cfSimilarity } from '../../apps/server/routes/compreface-shapes.js';
import { KeyStore } from '../../apps/server/services/key-store.js';

describe('server options', () => {
  it('fills defaults without mutating the input', () => {
    const input = { auth: false, workers: 2 };
    const o = resolveServerOptions(input);
    assert.equal(o.workers, 2);
    assert.equal(o.queueSize, SERVER_DEFAULTS.queueSize);
    assert.equal(o.bodyLimit, SERVER_DEFAULTS.bodyLimit);
    assert.deepEqual(input, { auth: false, workers: 2 });
    assert.ok(Object.isFrozen(o));
  });

  it('rejects invalid parameters with what was expected and what came', () => {
    assert.throws(() => resolveServerOptions({ auth: false, workers: 0 }), /Expected an integer between 1 and 64 for workers but received 0/);
    assert.throws(() => resolveServerOptions({ auth: false, queueSize: -1 }), RangeError);
    assert.throws(() => resolveServerOptions({ auth: false, threshold: 2 }), RangeError);
    assert.throws(() => resolveServerOptions({ auth: false, rateLimit: { max: 0, windowMs: 1000 } }), RangeError);
    assert.throws(() => resolveServerOptions({ auth: 'yes' as unknown as boolean }), TypeError);
    assert.throws(() => resolveServerOptions({ auth: true }), /key store/);
    assert.doesNotThrow(() => resolveServerOptions({ keys: KeyStore.open(':memory:') }));
  });
});

describe('metrics exposition', () => {
  it('writes counters, cumulative histogram buckets and gauges in Prometheus text format', async () => {
    const m = new ServerMetrics();
    m.observeRequest('GET', '/x', 200, 0.003);
    m.observeRequest('GET', '/x', 200, 0.2);
    m.observeRequest('GET', '/x', 500, 20);
    m.observeInference('verify', 0.001, 0.12);
    m.countRejected('queue_full');
    m.addGauge({ name: 'g_one', help: 'One.', read: () => 1 });
    m.addGauge({
      name: 'g_broken',
      help: 'Broken.',
      read: () => {
        throw new Error('x');
      },
    });
    const text = await m.render();
    assert.match(text, /^arcface_http_requests_total\{method="GET",route="\/x",status="200"\} 2$/m);
    assert.match(text, /^arcface_http_requests_total\{method="GET",route="\/x",status="500"\} 1$/m);
    assert.match(text, /^arcface_http_request_duration_seconds_bucket\{le="0\.005",method="GET",route="\/x"\} 1$/m);
    assert.match(text, /^arcface_http_request_duration_seconds_bucket\{le="0\.25",method="GET",route="\/x"\} 2$/m);
    assert.match(text, /^arcface_http_request_duration_seconds_bucket\{le="10",method="GET",route="\/x"\} 2$/m);
    assert.match(text, /^arcface_http_request_duration_seconds_bucket\{le="\+Inf",method="GET",route="\/x"\} 3$/m);
    assert.match(text, /^arcface_http_request_duration_seconds_count\{method="GET",route="\/x"\} 3$/m);
    assert.match(text, /^arcface_inference_duration_seconds_sum\{op="verify"\} 0\.12$/m);
    assert.match(text, /^arcface_inference_rejected_total\{reason="queue_full"\} 1$/m);
    assert.match(text, /^g_one 1$/m);
    assert.match(text, /^g_broken Nan$/m);
    assert.equal(LATENCY_BUCKETS.length, 11);
    assert.ok(text.endsWith('\n'));
  });
});

describe('request helpers', () => {
  it('decodes base64, base64url and data: URLs, and refuses junk', () => {
    const bytes = Buffer.from([0xff, 0xd8, 0xff, 0xfb, 0xef]);
    assert.deepEqual([...decodeBase64Image('f', bytes.toString('base64'))], [...bytes]);
    assert.deepEqual([...decodeBase64Image('f', bytes.toString('base64url'))], [...bytes]);
    assert.deepEqual([...decodeBase64Image('f', `data:image/jpeg;base64,${bytes.toString('base64')}`)], [...bytes]);
    assert.throws(
      () => decodeBase64Image('f', '***'),
      (e: { code: string }) => e.code === 'INVALID_ARGUMENT',
    );
    assert.throws(() => decodeBase64Image('f', 42), /Expected base64 image data in "f" but received number/);
    assert.throws(
      () => decodeBase64Image('f', '='),
      (e: { code: string }) => e.code === 'IMAGE_EMPTY',
    );
  });

  it('maps Fastify errors to coded errors and hides internal ones', () => {
    assert.equal(toArcFaceError(Object.assign(new Error('too big'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 })).code, 'PAYLOAD_TOO_LARGE');
    assert.equal(toArcFaceError(Object.assign(new Error('file'), { code: 'FST_REQ_FILE_TOO_LARGE', statusCode: 413 })).code, 'PAYLOAD_TOO_LARGE');
    assert.equal(toArcFaceError(Object.assign(new Error('bad'), { validation: [] })).code, 'INVALID_ARGUMENT');
    for (const e of [new TypeError('Expected k to be a number but received string'), new RangeError('Expected k ≥ 1 but received 0')]) {
      assert.deepEqual(toArcFaceError(e).toJSON(), { code: 'INVALID_ARGUMENT', message: e.message });
    }
    assert.equal(
      toArcFaceError(Object.assign(new Error('Multipart: Boundary not found'), { code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', statusCode: 415 })).code,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    assert.doesNotMatch(
      toArcFaceError(Object.assign(new Error('Unexpected token } in JSON at position 3'), { code: 'FST_ERR_CTP_INVALID_JSON_BODY', statusCode: 400 })).message,
      /token|position/,
    );
    const internal = toArcFaceError(new Error('secret path /etc/x'));
    assert.equal(internal.code, 'INTERNAL');
    assert.doesNotMatch(internal.message, /secret/);
  });

  it('sends INTERNAL errors with a generic message only, and Retry-After from the error details', async () => {
    const app = Fastify();
    app.setErrorHandler((err, req, reply) => sendError(req, reply, err));
    app.get('/internal', async () => {
      throw new ArcFaceError('INTERNAL', 'onnxruntime failed reading /secret/path/model.onnx');
    });
    app.get('/busy', async () => {
      throw new ArcFaceError('QUEUE_FULL', 'full', { details: { retryAfterSeconds: 2.2 } });
    });
    const internal = await app.inject({ url: '/internal' });
    assert.equal(internal.statusCode, 500);
    assert.deepEqual(Object.keys(internal.json()), ['code', 'message']);
    assert.equal(internal.json().code, 'INTERNAL');
    assert.match(internal.json().message, /^Internal server error; the server log has the details \(request \S+\)$/);
    const busy = await app.inject({ url: '/busy' });
    assert.equal(busy.statusCode, 503);
    assert.equal(busy.headers['retry-after'], '3');
    await app.close();
  });

  it('derives route scopes: configured, else read under /v1 and /api, else public', () => {
    assert.equal(routeScope('/v1/detect', undefined), 'read');
    assert.equal(routeScope('/api/v1/recognition/faces', 'write'), 'write');
    assert.equal(routeScope('/docs', undefined), 'public');
    assert.equal(routeScope(undefined, undefined), 'public');
  });
});

describe('CompreFace shapes', () => {
  const face = (x1: number, y1: number, x2: number, y2: number, score: number) => ({
    box: [x1, y1, x2, y2] as const,
    score,
    landmarks: [
      [0, 0],
      [0, 0],
      [0, 0],
      [0, 0],
      [0, 0],
    ] as const,
  });
  it('boxes as integer corners with probability; limit keeps the largest faces; threshold drops weak ones', () => {
    assert.deepEqual(cfBox(face(10.4, 20.6, 50.5, 80.2, 0.987654)), { probability: 0.98765, x_min: 10, y_min: 21, x_max: 51, y_max: 80 });
    const faces = [face(0, 0, 10, 10, 0.9), face(0, 0, 50, 50, 0.8), face(0, 0, 30, 30, 0.4)];
    assert.deepEqual(
      cfSelect(faces, { limit: 1 }).map((f) => f.box[2]),
      [50],
    );
    assert.deepEqual(
      cfSelect(faces, { det_prob_threshold: 0.5 }).map((f) => f.box[2]),
      [50, 10],
    );
    assert.deepEqual(cfSelect(faces, { limit: 0 }).length, 3);
    assert.equal(cfSimilarity(-0.2), 0);
    assert.equal(cfSimilarity(0.123456), 0.12346);
  });

  it('reads and normalises embeddings, with coded errors', () => {
    const [v] = cfEmbeddings({ embeddings: [[3, 4]] }, 2);
    assert.deepEqual(
      [...(v ?? [])].map((x) => Math.round(x * 1000) / 1000),
      [0.6, 0.8],
    );
    assert.throws(
      () => cfEmbeddings({}, 2),
      (e: { code: string }) => e.code === 'INVALID_ARGUMENT',
    );
    assert.throws(
      () => cfEmbeddings({ embeddings: [[1, 2, 3]] }, 2),
      (e: { code: string }) => e.code === 'EMBEDDING_SIZE_MISMATCH',
    );
    assert.throws(
      () => cfEmbeddings({ embeddings: [[0, 0]] }, 2),
      (e: { code: string }) => e.code === 'INVALID_ARGUMENT',
    );
    assert.throws(
      () => cfEmbeddings({ embeddings: [['a', 1]] }, 2),
      (e: { code: string }) => e.code === 'INVALID_ARGUMENT',
    );
  });
});
