/**
 * Request and response JSON Schemas, declared once: Fastify validates and serialises with them and
 * @fastify/swagger publishes them as OpenAPI 3 at /openapi.json.
 */

export const errorSchema = {
  $id: 'Error',
  type: 'object',
  description: 'Every error: a stable code and a message saying what was expected and what came.',
  required: ['code', 'message'],
  properties: { code: { type: 'string', examples: ['NO_FACE'] }, message: { type: 'string' } },
} as const;

export const faceSchema = {
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

export const subjectSchema = {
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

export const subjectFaceSchema = {
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

export const candidateSchema = {
  $id: 'Candidate',
  type: 'object',
  required: ['subjectId', 'name', 'similarity'],
  properties: { subjectId: { type: 'string' }, name: { type: 'string' }, similarity: { type: 'number' } },
} as const;

export const auditSchema = {
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

export const apiKeySchema = {
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

export const readinessSchema = {
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

/** Every shared schema, added with `app.addSchema` and referenced as `{ $ref: 'Face#' }`. */
export const SHARED_SCHEMAS = [errorSchema, faceSchema, subjectSchema, subjectFaceSchema, candidateSchema, auditSchema, apiKeySchema, readinessSchema] as const;

/** Base64 image body for JSON requests; the same fields are accepted as multipart files. */
export function imageBody(fields: readonly string[], description: string): Record<string, unknown> {
  const props: Record<string, unknown> = {};
  for (const f of fields) props[f] = { type: 'string', format: 'byte', description: 'Image (JPEG, PNG, WebP…) as base64 or a data: URL' };
  return {
    type: 'object',
    description: `${description} Send the images as multipart/form-data files with these field names, or as base64 in a JSON object.`,
    properties: props,
  };
}

/** The error responses every image route can give. */
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
