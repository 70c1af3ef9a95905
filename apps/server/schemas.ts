/**
 * Request and response JSON Schemas, declared once: Fastify validates and serialises with them and
 * @fastify/swagger publishes them as OpenAPI 3 at /openapi.json.
 */

const errorSchema = {
  $id: 'Error',
  type: 'object',
  description: 'Every error: a stable code and a message saying what was expected and what came.',
  required: ['code', 'message'],
  properties: { code: { type: 'string', examples: ['NO_FACE'] }, message: { type: 'string' } },
} as const;

const faceSchema = {
  $id: 'Face',
  type: 'object',
  required: ['box', 'score', 'landmarks'],
  properties: {
    box: { type: 'array', items: { type: 'number' }, minItems: 4, maxItems: 4, description: '[x1, y1, x2, y2] in image pixels' },
    score: { type: 'number', description: 'Detector confidence, 0..1' },
    landmarks: {
      type: 'array',
      description: 'Eyes, nose tip, mouth corners (image-left first), [x, y] in image pixels',
      items: { type: 'array', items: { type: 'number' }, minItems: 2, maxItems: 2 },
      minItems: 5,
      maxItems: 5,
    },
  },
} as const;

const subjectSchema = {
  $id: 'Subject',
  type: 'object',
  required: ['id', 'name', 'faceCount', 'createdAt', 'updatedAt'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    metadata: { type: 'object', additionalProperties: true },
    faceCount: { type: 'integer' },
    createdAt: { type: 'number', description: 'Milliseconds since the Unix epoch' },
    updatedAt: { type: 'number' },
  },
} as const;

const subjectFaceSchema = {
  $id: 'SubjectFace',
  type: 'object',
  required: ['faceId', 'subjectId', 'createdAt'],
  properties: {
    faceId: { type: 'integer' },
    subjectId: { type: 'string' },
    createdAt: { type: 'number' },
    sourceFile: { type: ['string', 'null'] },
    detScore: { type: ['number', 'null'] },
    faceSize: { type: ['number', 'null'] },
    hasThumbnail: { type: 'boolean' },
  },
} as const;

const candidateSchema = {
  $id: 'Candidate',
  type: 'object',
  required: ['subjectId', 'name', 'similarity'],
  properties: { subjectId: { type: 'string' }, name: { type: 'string' }, similarity: { type: 'number' } },
} as const;

const auditSchema = {
  $id: 'Audit',
  type: 'object',
  required: ['subjectId', 'faceCount', 'flags'],
  properties: {
    subjectId: { type: 'string' },
    faceCount: { type: 'integer' },
    flags: {
      type: 'array',
      items: {
        type: 'object',
        required: ['kind', 'message', 'faceIds'],
        properties: {
          kind: { type: 'string' },
          message: { type: 'string' },
          faceIds: { type: 'array', items: { type: 'integer' } },
          score: { type: 'number' },
          otherSubjectId: { type: 'string' },
        },
      },
    },
  },
} as const;

const apiKeySchema = {
  $id: 'ApiKey',
  type: 'object',
  required: ['id', 'name', 'scope', 'createdAt'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    scope: { type: 'string', enum: ['read', 'write', 'admin'] },
    createdAt: { type: 'string' },
    revokedAt: { type: ['string', 'null'] },
    key: { type: 'string', description: 'Only in the response that created the key' },
  },
} as const;

const readinessSchema = {
  $id: 'Readiness',
  type: 'object',
  required: ['status', 'problems'],
  properties: {
    status: { type: 'string', enum: ['ready', 'not_ready'] },
    problems: { type: 'array', items: { type: 'string' } },
    models: {
      type: ['object', 'null'],
      properties: { fingerprint: { type: 'string' }, embeddingSize: { type: 'integer' }, threshold: { type: 'number' } },
    },
    gallery: { type: ['object', 'null'], properties: { subjects: { type: 'integer' }, faces: { type: 'integer' } } },
    queueDepth: { type: 'integer' },
  },
} as const;

/**
 * Every shared schema, added with `app.addSchema` and referenced as `{ $ref: 'Face#' }`.
 *
 * @example
 * for (const s of SHARED_SCHEMAS) app.addSchema(s)
 */
export const SHARED_SCHEMAS = [errorSchema, faceSchema, subjectSchema, subjectFaceSchema, candidateSchema, auditSchema, apiKeySchema, readinessSchema] as const;

/**
 * The error responses every image route can give.
 *
 * @example
 * schema: { response: { 200: okSchema, ...IMAGE_ERRORS } }
 */
export const IMAGE_ERRORS = {
  400: { $ref: 'Error#' },
  401: { $ref: 'Error#' },
  403: { $ref: 'Error#' },
  413: { $ref: 'Error#' },
  415: { $ref: 'Error#' },
  422: { $ref: 'Error#' },
  429: { $ref: 'Error#' },
  503: { $ref: 'Error#' },
  504: { $ref: 'Error#' },
} as const;

/**
 * Image fields of each POST route, by OpenAPI path: documented as multipart files or base64 JSON.
 *
 * @example
 * IMAGE_FIELDS['/v1/verify'] // ['image1', 'image2']
 */
export const IMAGE_FIELDS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  '/v1/detect': ['image'],
  '/v1/embed': ['image'],
  '/v1/verify': ['image1', 'image2'],
  '/v1/identify': ['image'],
  '/v1/subjects/{id}/faces': ['image'],
  '/api/v1/recognition/faces': ['file'],
  '/api/v1/recognition/recognize': ['file'],
  '/api/v1/recognition/faces/{imageId}/verify': ['file'],
  '/api/v1/detection/detect': ['file'],
  '/api/v1/verification/verify': ['source_image', 'target_image'],
});

/**
 * Adds the request bodies of image routes to an OpenAPI document (their bodies are read as
 * streams, not validated by a body schema): multipart files, base64 JSON, or, for one-image routes,
 * the raw image as the body.
 *
 * @example
 * await app.register(swagger, { openapi: {...}, transformObject: (d) => withImageBodies('openapiObject' in d ? d.openapiObject : d.swaggerObject) })
 */
export function withImageBodies<T>(doc: T): T {
  const paths = (doc as { paths?: Record<string, Record<string, Record<string, unknown>>> }).paths ?? {};
  for (const [path, fields] of Object.entries(IMAGE_FIELDS)) {
    const op = paths[path]?.post;
    if (op === undefined) continue;
    const files: Record<string, unknown> = {};
    const b64: Record<string, unknown> = {};
    for (const f of fields) {
      files[f] = { type: 'string', format: 'binary' };
      b64[f] = { type: 'string', format: 'byte', description: 'base64 or a data: URL' };
    }
    const content: Record<string, unknown> = {
      'multipart/form-data': { schema: { type: 'object', required: [...fields], properties: files } },
      'application/json': { schema: { type: 'object', required: [...fields], properties: b64 } },
    };
    if (fields.length === 1)
      content['application/octet-stream'] = { schema: { type: 'string', format: 'binary', description: 'the image itself (also image/jpeg, image/png…)' } };
    op.requestBody = { required: true, content };
  }
  return doc;
}
