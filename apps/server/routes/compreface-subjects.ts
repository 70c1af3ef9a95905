import type { FastifyInstance } from 'fastify';
import { ArcFaceError } from '../../../src/core/index.js';
import { MAX_ID_LENGTH } from '../../../src/gallery/index.js';
import type { ServerContext } from '../context.js';

const tags = ['compreface'];
const BASE = '/api/v1/recognition/subjects';
const subjectBody = { type: 'object', required: ['subject'], properties: { subject: { type: 'string', minLength: 1, maxLength: MAX_ID_LENGTH } } } as const;

/**
 * CompreFace's subject routes: add, list, rename, delete one, delete all. A CompreFace subject is
 * our subject id.
 *
 * @example
 * registerComprefaceSubjectRoutes(app, ctx)
 */
export function registerComprefaceSubjectRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.post<{ Body: { subject: string } }>(
    BASE,
    { config: { scope: 'write' }, schema: { tags, summary: 'Add a subject', body: subjectBody } },
    async (request, reply) => {
      await ctx.gallery().createSubject(request.body.subject, { name: request.body.subject });
      return reply.code(201).send({ subject: request.body.subject });
    },
  );

  app.get(BASE, { config: { scope: 'read' }, schema: { tags, summary: 'List subjects' } }, async () => ({
    subjects: (await ctx.gallery().listSubjects()).map((s) => s.id),
  }));

  app.put<{ Params: { subject: string }; Body: { subject: string } }>(
    `${BASE}/:subject`,
    { config: { scope: 'write' }, schema: { tags, summary: 'Rename a subject', body: subjectBody } },
    async (request) => {
      const from = request.params.subject;
      const to = request.body.subject;
      if (from === to) {
        await ctx.gallery().getSubject(from);
        return { updated: true };
      }
      const current = await ctx.gallery().getSubject(from);
      await ctx.gallery().updateSubject(from, { newId: to, ...(current.name === from ? { name: to } : {}) });
      return { updated: true };
    },
  );

  app.delete<{ Params: { subject: string } }>(
    `${BASE}/:subject`,
    { config: { scope: 'write' }, schema: { tags, summary: 'Delete a subject and its examples' } },
    async (request) => {
      await ctx.gallery().removeSubject(request.params.subject);
      return { subject: request.params.subject };
    },
  );

  app.delete(BASE, { config: { scope: 'write' }, schema: { tags, summary: 'Delete every subject' } }, async () => {
    const gallery = ctx.gallery();
    const all = await gallery.listSubjects();
    for (const s of all) await gallery.removeSubject(s.id);
    return { deleted: all.length };
  });

  app.get<{ Params: { subject: string } }>(
    `${BASE}/:subject`,
    { config: { scope: 'read' }, schema: { tags, summary: 'One subject (extension: CompreFace has no such route)' } },
    async (request) => {
      const s = await ctx.gallery().getSubject(request.params.subject);
      if (s === undefined) throw new ArcFaceError('IDENTITY_NOT_FOUND', `Expected subject "${request.params.subject}" but it does not exist`);
      return { subject: s.id, name: s.name, faces: s.faceCount };
    },
  );
}
