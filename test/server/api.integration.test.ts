import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { lfw, multipart, noFacePng, startTestServer, type TestServer } from './helpers.js';

let srv: TestServer;
let app: FastifyInstance;
const A1 = lfw('Aaron_Peirsol', 1);
const A3 = lfw('Aaron_Peirsol', 3);
const B7 = lfw('George_W_Bush', 7);

before(async () => {
  srv = await startTestServer();
  app = srv.app;
});
after(async () => srv.close());

const key = (scope: 'read' | 'write' | 'admin'): Record<string, string> => srv.key(scope);
const postImages = (url: string, files: Record<string, Buffer | Buffer[]>, scope: 'read' | 'write' = 'read') => srv.postImages(url, files, scope);

describe('public routes', () => {
  it('answers /healthz, /readyz with the loaded model and the gallery size', async () => {
    assert.deepEqual((await app.inject({ url: '/healthz' })).json(), { status: 'ok' });
    const ready = await app.inject({ url: '/readyz' });
    assert.equal(ready.statusCode, 200);
    const body = ready.json();
    assert.equal(body.status, 'ready');
    assert.equal(body.models.embeddingSize, 512);
    assert.match(body.models.fingerprint, /^sha256:7caa7fb0ad6c/);
    assert.deepEqual(body.gallery, { subjects: 0, faces: 0 });
  });

  it('serves OpenAPI 3 with the routes and schemas, and Swagger UI from local assets', async () => {
    const doc = (await app.inject({ url: '/openapi.json' })).json();
    assert.match(doc.openapi, /^3\./);
    for (const p of [
      '/v1/detect',
      '/v1/embed',
      '/v1/verify',
      '/v1/identify',
      '/v1/subjects',
      '/v1/subjects/{id}/faces',
      '/v1/subjects/{id}/audit',
      '/api/v1/recognition/recognize',
    ]) {
      assert.ok(doc.paths[p], `missing ${p}`);
    }
    assert.ok(doc.components.schemas.Face && doc.components.schemas.Error);
    const verifyBody = doc.paths['/v1/verify'].post.requestBody.content;
    assert.deepEqual(Object.keys(verifyBody['multipart/form-data'].schema.properties), ['image1', 'image2']);
    assert.equal(doc.paths['/v1/detect'].post.requestBody.content['application/json'].schema.properties.image.format, 'byte');
    assert.ok(doc.paths['/v1/detect'].post.responses['413']);
    const ui = await app.inject({ url: '/docs/' });
    assert.equal(ui.statusCode, 200);
    assert.doesNotMatch(ui.body, /https?:\/\/(cdn|unpkg|cdnjs)/);
    const bundle = await app.inject({ url: '/docs/static/swagger-ui-bundle.js' });
    assert.equal(bundle.statusCode, 200);
    assert.ok(bundle.body.length > 100_000);
  });

  it('serves the web page at /', async () => {
    const res = await app.inject({ url: '/' });
    assert.equal(res.statusCode, 200);
    assert.match(res.headers['content-type'] as string, /text\/html/);
    assert.match(res.headers['content-security-policy'] as string, /script-src 'self'/);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
  });

  it('answers unknown routes with NOT_FOUND as {code, message}', async () => {
    const res = await app.inject({ url: '/v2/nothing' });
    assert.equal(res.statusCode, 404);
    assert.equal(res.json().code, 'NOT_FOUND');
  });
});

describe('authentication', () => {
  it('refuses a missing key with 401 UNAUTHORIZED', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/detect', payload: A1, headers: { 'content-type': 'image/jpeg' } });
    assert.equal(res.statusCode, 401);
    assert.deepEqual(Object.keys(res.json()).sort(), ['code', 'message']);
    assert.equal(res.json().code, 'UNAUTHORIZED');
  });

  it('refuses an unknown key with 401 and accepts a Bearer token', async () => {
    const bad = await app.inject({ method: 'GET', url: '/v1/subjects', headers: { 'x-api-key': 'afk_nope' } });
    assert.equal(bad.statusCode, 401);
    const bearer = await app.inject({ method: 'GET', url: '/v1/subjects', headers: { authorization: `Bearer ${srv.keys.read}` } });
    assert.equal(bearer.statusCode, 200);
  });

  it('refuses a read key on a write route with 403 FORBIDDEN, and a write key on admin routes', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/subjects', payload: { id: 'x' }, headers: key('read') });
    assert.equal(res.statusCode, 403);
    assert.equal(res.json().code, 'FORBIDDEN');
    const keys = await app.inject({ method: 'GET', url: '/v1/keys', headers: key('write') });
    assert.equal(keys.statusCode, 403);
  });

  it('stops accepting a key once revoked through the admin API', async () => {
    const created = await app.inject({ method: 'POST', url: '/v1/keys', payload: { scope: 'read', name: 'temp' }, headers: key('admin') });
    assert.equal(created.statusCode, 201);
    const { id, key: k } = created.json();
    assert.match(k, /^afk_/);
    assert.equal((await app.inject({ url: '/v1/subjects', headers: { 'x-api-key': k } })).statusCode, 200);
    const list = (await app.inject({ url: '/v1/keys', headers: key('admin') })).json();
    assert.ok(list.keys.every((x: Record<string, unknown>) => x.key === undefined));
    assert.equal((await app.inject({ method: 'DELETE', url: `/v1/keys/${id}`, headers: key('admin') })).statusCode, 200);
    assert.equal((await app.inject({ url: '/v1/subjects', headers: { 'x-api-key': k } })).statusCode, 401);
    assert.equal((await app.inject({ method: 'DELETE', url: '/v1/keys/doesnotexist', headers: key('admin') })).statusCode, 404);
  });
});

describe('face routes', () => {
  it('detects one face in an LFW image sent as multipart, base64 JSON and raw bytes', async () => {
    const viaMultipart = await postImages('/v1/detect', { image: A1 });
    assert.equal(viaMultipart.statusCode, 200, viaMultipart.body);
    const viaJson = await app.inject({ method: 'POST', url: '/v1/detect', payload: { image: A1.toString('base64') }, headers: key('read') });
    const viaRaw = await app.inject({ method: 'POST', url: '/v1/detect', payload: A1, headers: { ...key('read'), 'content-type': 'image/jpeg' } });
    for (const r of [viaMultipart, viaJson, viaRaw]) {
      const body = r.json();
      assert.equal(body.width, 150);
      assert.equal(body.faces.length, 1);
      const [x1, y1, x2, y2] = body.faces[0].box;
      assert.ok(x1 > 20 && y1 > 20 && x2 < 130 && y2 < 130, `box ${body.faces[0].box}`);
      assert.equal(body.faces[0].landmarks.length, 5);
      assert.ok(body.faces[0].score > 0.5);
    }
    assert.deepEqual(viaJson.json(), viaMultipart.json());
  });

  it('embeds to unit-length 512-d vectors', async () => {
    const res = await postImages('/v1/embed', { image: A1 });
    const body = res.json();
    assert.equal(body.embeddingSize, 512);
    const e: number[] = body.faces[0].embedding;
    assert.equal(e.length, 512);
    assert.ok(Math.abs(Math.hypot(...e) - 1) < 1e-4);
  });

  it('verifies the same person as a match and two people as not', async () => {
    const same = (await postImages('/v1/verify', { image1: A1, image2: A3 })).json();
    const diff = (await postImages('/v1/verify', { image1: A1, image2: B7 })).json();
    assert.equal(same.match, true, JSON.stringify(same));
    assert.equal(diff.match, false, JSON.stringify(diff));
    assert.ok(same.similarity > diff.similarity + 0.2);
    assert.equal(same.threshold, diff.threshold);
    assert.equal(same.faces.length, 2);
  });

  it('answers a corrupt image with 400, an empty one with 400, text with 415', async () => {
    const truncated = await app.inject({
      method: 'POST',
      url: '/v1/detect',
      payload: A1.subarray(0, 600),
      headers: { ...key('read'), 'content-type': 'image/jpeg' },
    });
    assert.equal(truncated.statusCode, 400, truncated.body);
    assert.match(truncated.json().code, /^IMAGE_(TRUNCATED|CORRUPT)$/);
    const badB64 = await app.inject({ method: 'POST', url: '/v1/detect', payload: { image: 'not base64 !!' }, headers: key('read') });
    assert.equal(badB64.statusCode, 400);
    assert.equal(badB64.json().code, 'INVALID_ARGUMENT');
    const text = await app.inject({
      method: 'POST',
      url: '/v1/detect',
      payload: { image: Buffer.from('hello, this is not an image at all').toString('base64') },
      headers: key('read'),
    });
    assert.equal(text.statusCode, 415);
    assert.equal(text.json().code, 'IMAGE_UNSUPPORTED_FORMAT');
    const missing = await app.inject({ method: 'POST', url: '/v1/verify', payload: { image1: A1.toString('base64') }, headers: key('read') });
    assert.equal(missing.statusCode, 400);
    assert.match(missing.json().message, /image2/);
  });

  it('names the upload that is not an image: its form field and file name on identify, which of the two on verify', async () => {
    const form = new FormData();
    form.append('image', new Blob([new TextEncoder().encode('# README\nnot an image')], { type: 'image/jpeg' }), 'README.md');
    const body = new Response(form);
    const payload = Buffer.from(await body.arrayBuffer());
    const res = await app.inject({
      method: 'POST',
      url: '/v1/identify',
      payload,
      headers: { ...key('read'), 'content-type': body.headers.get('content-type') ?? '' },
    });
    assert.equal(res.statusCode, 415, res.body);
    assert.equal(res.json().code, 'IMAGE_UNSUPPORTED_FORMAT');
    assert.match(res.json().message, /^field "image" \(file "README\.md"\): Expected an image in one of .* but received 21 bytes/);
    const raw = await app.inject({
      method: 'POST',
      url: '/v1/detect',
      payload: A1.subarray(0, 600),
      headers: { ...key('read'), 'content-type': 'image/jpeg' },
    });
    assert.match(raw.json().message, /^field "image": Expected a complete image/);
    const verify = await postImages('/v1/verify', { image1: A1, image2: Buffer.from('not an image either') });
    assert.equal(verify.statusCode, 415, verify.body);
    assert.match(verify.json().message, /^the second image, field "image2" \(file "image2-0\.jpg"\): Expected an image/);
  });

  it('answers an image without a face with 422 NO_FACE on verify and enrol, and no faces on detect', async () => {
    const blank = await noFacePng();
    const detect = await postImages('/v1/detect', { image: blank });
    assert.deepEqual(detect.json().faces, []);
    const verify = await postImages('/v1/verify', { image1: A1, image2: blank });
    assert.equal(verify.statusCode, 422);
    assert.equal(verify.json().code, 'NO_FACE');
    assert.match(verify.json().message, /second image/);
  });

  it('never leaks a stack trace', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/subjects', payload: '{"id": ', headers: { ...key('write'), 'content-type': 'application/json' } });
    assert.equal(res.statusCode, 400);
    assert.doesNotMatch(res.body, /at .*\.(ts|js):\d+/);
    assert.deepEqual(Object.keys(res.json()).sort(), ['code', 'message']);
  });
});

describe('limits', () => {
  it('answers a body over the limit with 413 PAYLOAD_TOO_LARGE (JSON, raw and multipart)', async () => {
    const small = await srv.variant({ bodyLimit: 4096 });
    const json = await small.inject({ method: 'POST', url: '/v1/detect', payload: { image: A1.toString('base64') }, headers: key('read') });
    assert.equal(json.statusCode, 413);
    assert.equal(json.json().code, 'PAYLOAD_TOO_LARGE');
    const raw = await small.inject({ method: 'POST', url: '/v1/detect', payload: A1, headers: { ...key('read'), 'content-type': 'image/jpeg' } });
    assert.equal(raw.statusCode, 413);
    const mp = await multipart({ image: A1 });
    const form = await small.inject({ method: 'POST', url: '/v1/detect', payload: mp.payload, headers: { ...mp.headers, ...key('read') } });
    assert.equal(form.statusCode, 413, form.body);
    assert.equal(form.json().code, 'PAYLOAD_TOO_LARGE');
  });

  it('answers more than 16 files in one request with 413 and an unknown content type with 415', async () => {
    const mp = await multipart({ image: Array.from({ length: 17 }, () => A1) });
    const many = await app.inject({
      method: 'POST',
      url: '/v1/subjects/x/faces?create=true',
      payload: mp.payload,
      headers: { ...mp.headers, ...key('write') },
    });
    assert.equal(many.statusCode, 413, many.body);
    assert.equal(many.json().code, 'PAYLOAD_TOO_LARGE');
    const text = await app.inject({ method: 'POST', url: '/v1/detect', payload: 'hello', headers: { ...key('read'), 'content-type': 'text/plain' } });
    assert.equal(text.statusCode, 415);
    assert.equal(text.json().code, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('answers an image over the pixel limit with 413 IMAGE_TOO_LARGE before decoding it', async () => {
    const tiny = await srv.variant({ maxPixels: 100 * 100 });
    const res = await tiny.inject({ method: 'POST', url: '/v1/detect', payload: A1, headers: { ...key('read'), 'content-type': 'image/jpeg' } });
    assert.equal(res.statusCode, 413);
    assert.equal(res.json().code, 'IMAGE_TOO_LARGE');
    assert.match(res.json().message, /150×150/);
  });

  it('answers the request after the per-key budget with 429 RATE_LIMITED and Retry-After', async () => {
    const limited = await srv.variant({ rateLimit: { max: 3, windowMs: 60_000 } });
    const codes: number[] = [];
    let last: LightMyRequestResponse | undefined;
    for (let i = 0; i < 5; i++) {
      last = await limited.inject({ url: '/v1/subjects', headers: key('read') });
      codes.push(last.statusCode);
    }
    assert.deepEqual(codes, [200, 200, 200, 429, 429]);
    assert.equal(last?.json().code, 'RATE_LIMITED');
    const retry = Number(last?.headers['retry-after']);
    assert.ok(retry >= 1 && retry <= 60, `retry-after ${retry}`);
    const otherKey = await limited.inject({ url: '/v1/subjects', headers: key('write') });
    assert.equal(otherKey.statusCode, 200);
    assert.equal((await limited.inject({ url: '/healthz' })).statusCode, 200);
  });

  it('keeps CORS off by default and allows only the configured origins when opted in', async () => {
    const preflight = {
      method: 'OPTIONS' as const,
      url: '/v1/verify',
      headers: { origin: 'http://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-api-key' },
    };
    const off = await app.inject(preflight);
    assert.equal(off.headers['access-control-allow-origin'], undefined);
    const withCors = await srv.variant({ corsOrigins: ['http://app.example'] });
    const on = await withCors.inject(preflight);
    assert.equal(on.headers['access-control-allow-origin'], 'http://app.example');
    assert.match(String(on.headers['access-control-allow-headers']), /x-api-key/);
    const other = await withCors.inject({ ...preflight, headers: { ...preflight.headers, origin: 'http://evil.example' } });
    assert.notEqual(other.headers['access-control-allow-origin'], 'http://evil.example');
  });

  it('rejects bad query parameters with 400', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/identify?limit=0', payload: { image: A1.toString('base64') }, headers: key('read') });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().code, 'INVALID_ARGUMENT');
  });
});

describe('metrics', () => {
  it('exposes request counts, latency histograms, inference time, queue depth and gallery size', async () => {
    const text = (await app.inject({ url: '/metrics' })).body;
    assert.match(text, /# TYPE arcface_http_requests_total counter/);
    assert.match(text, /arcface_http_requests_total\{method="POST",route="\/v1\/verify",status="200"\} \d+/);
    assert.match(text, /arcface_http_request_duration_seconds_bucket\{le="\+Inf",method="POST",route="\/v1\/detect"\} \d+/);
    assert.match(text, /arcface_inference_duration_seconds_count\{op="verify"\} \d+/);
    assert.match(text, /^arcface_inference_queue_depth 0$/m);
    assert.match(text, /^arcface_gallery_subjects \d+$/m);
    assert.match(text, /^arcface_gallery_faces \d+$/m);
  });
});
