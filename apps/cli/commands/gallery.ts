import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { ArcFaceError } from '../../../src/core/index.js';
import { decodeExport, identifyImage, isSealedExport, openExport, verifyImage, type ExportHeader, type Gallery } from '../../../src/gallery/index.js';
import { enrollImages, parseFaceChoice } from '../../../src/ingest/index.js';
import { findKnownModel, knownModelOfFingerprint, modelLabel } from '../../../src/models/index.js';
import { FaceRecognizer, RECOGNIZER_DEFAULTS } from '../../../src/pipeline/index.js';
import { expandImageArgs, noticeLicence, printJson, type CliContext } from '../context.js';
import { FileOutcomes } from '../file-outcomes.js';
import { Sightings } from '../../../src/sightings/index.js';
import {
  assertGalleryExists,
  galleryLocation,
  KEK_FILE_HELP,
  manage,
  openCommandGallery,
  readKek,
  recognizerFor,
  withGallery,
  withModelGallery,
  type GalleryAccess,
  type GOpts,
} from '../gallery-open.js';
import { registerPrivacyCommands } from './gallery-privacy.js';
import { ENROL_QUEUE_DEFAULTS } from '../../worker/index.js';
import { runEnrolPeople, withBulkRuntimeOptions, type BulkModelOptions } from './bulk-enrol.js';
import { parseIntOption, parseNumberOption } from './options.js';

interface ModelOptions {
  recognizer?: string;
  detector: string;
  gallery?: string;
  json?: boolean;
  threshold?: number;
  kekFile?: string;
}

const round = (x: number, d = 6): number => Math.round(x * 10 ** d) / 10 ** d;

function withModelOptions(cmd: Command): Command {
  return cmd
    .option('-g, --gallery <path|postgres://url>', 'gallery: SQLite file or PostgreSQL URL (default $ARCFACE_GALLERY, else gallery.db in ARCFACE_HOME)')
    .option(
      '-r, --recognizer <name|path>',
      `recogniser: registry name, .onnx file or NN Archive (default: the gallery's recorded model, else ${RECOGNIZER_DEFAULTS.recognizer})`,
    )
    .option('-d, --detector <name|path>', 'face detector: registry name or known file', RECOGNIZER_DEFAULTS.detector)
    .option('--kek-file <path>', KEK_FILE_HELP)
    .option('--json', 'compact JSON for machines');
}

/** Loads the recogniser and opens the gallery for it; both are released after `fn`. */
async function withRecognizer<T>(ctx: CliContext, o: ModelOptions, access: GalleryAccess, fn: (fr: FaceRecognizer, g: Gallery) => Promise<T>): Promise<T> {
  ctx.json = o.json === true;
  const where = galleryLocation(ctx, o.gallery);
  if (access === 'existing') assertGalleryExists(where);
  const recognizer = await recognizerFor(where, o.recognizer);
  await noticeLicence(ctx, recognizer);
  const fr = await FaceRecognizer.create({ locations: ctx.locations, recognizer, detector: o.detector });
  const threshold = (f: FaceRecognizer): number | undefined => {
    const t = o.threshold ?? f.threshold;
    if (access === 'existing' && t === undefined)
      throw new ArcFaceError('INVALID_ARGUMENT', `Expected --threshold: recogniser ${recognizer} has no calibrated threshold`);
    return t;
  };
  return withModelGallery(ctx, where, access, fr, threshold, (g) => fn(fr, g), await readKek(ctx, o.kekFile));
}

function parseMetadata(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (cause) {
    throw new ArcFaceError('INVALID_ARGUMENT', `Expected --metadata to be a JSON object but received ${JSON.stringify(text.slice(0, 40))}`, { cause });
  }
}

/** How `enroll` names the face-choice inputs in messages. */
const CLI_FACE_CHOICE = { select: '--select', box: '--box' } as const;

/**
 * `arcface enroll | identify | verify` and `arcface gallery list | show | remove | rename | merge |
 * audit | export | import`, all with `--json`.
 *
 * @example
 * registerGalleryCommands(program, ctx)
 */
export function registerGalleryCommands(program: Command, ctx: CliContext): void {
  withBulkRuntimeOptions(withModelOptions(program.command('enroll')))
    .description(
      'Enrol one face of each image (files or folders) under an identity: the clearly dominant one, or the one --select/--box names. ' +
        'With --people DIR, one identity per sub-folder (DIR/Name/*.jpg), here or queued on Redis with --queue.',
    )
    .argument('[id]', 'identity id')
    .argument('[images...]', 'image files or folders')
    .option('--people <dir>', 'enrol every sub-folder of DIR as one identity (id: the folder name; name: with spaces for underscores); idempotent')
    .option('--queue <redis://host:port>', 'with --people: queue one job per photo on Redis for `arcface worker` instead of enrolling here')
    .option('--queue-name <name>', 'queue name', ENROL_QUEUE_DEFAULTS.name)
    .option('-n, --name <name>', 'display name (default: the id)')
    .option('--metadata <json>', 'JSON object stored with the identity')
    .option('--append', 'add templates to an existing identity')
    .option(
      '--select <rule>',
      'which face of a photo with several: dominant (one clearly larger and more central face, else skipped with MULTIPLE_FACES), largest or central',
      'dominant',
    )
    .option('--box <x1,y1,x2,y2>', 'enrol the detected face that overlaps this box (pixels)')
    .addHelpText(
      'after',
      '\nOutput: {"id","templates","templateIds","known":[{"file","templateId"}],"skipped":[{"file","code"}]}: photos without a face, with several comparable faces ' +
        'or unreadable are skipped, the others enrolled. A photo the identity already holds (same SHA-256, any file name) is "known": it adds nothing, ' +
        'with or without --append, so repeating an enrolment changes nothing.\n' +
        'Exit codes: 0 all enrolled, 2 a file was bad input, 4 a photo had no face or several comparable faces (NO_FACE / MULTIPLE_FACES; nothing written when no photo qualified).\n' +
        'With --people: {"identities","newIdentities","images","enrolled","duplicates","skipped":[{"file","identity","code"}],"refused":[{"folder","code"}]}; ' +
        'a photo the identity already holds (same SHA-256) is a duplicate, never a second template. ' +
        'With --queue: {"queue","batch","images","enqueued","alreadyDone"}; follow it with `arcface jobs status`.',
    )
    .action(async (id: string | undefined, images: string[], o: EnrollOptions) => {
      ctx.json = o.json === true;
      if (o.people !== undefined) {
        if (id !== undefined || o.box !== undefined || o.name !== undefined || o.metadata !== undefined) {
          throw new ArcFaceError(
            'INVALID_ARGUMENT',
            'Expected --people DIR alone (ids and names come from its folders) but received an id, --name, --metadata or --box too',
          );
        }
        await runEnrolPeople(ctx, o.people, { ...o, detector: o.detector, select: parseFaceChoice({ select: o.select }, CLI_FACE_CHOICE) });
        return;
      }
      if (o.queue !== undefined) throw new ArcFaceError('INVALID_ARGUMENT', 'Expected --queue with --people DIR but received it without');
      if (id === undefined || images.length === 0) {
        throw new ArcFaceError('INVALID_ARGUMENT', 'Expected an identity id and image files or folders (or --people DIR) but received none');
      }
      const metadata = parseMetadata(o.metadata);
      const face = parseFaceChoice({ select: o.select, ...(o.box === undefined ? {} : { box: o.box }) }, CLI_FACE_CHOICE);
      const files = await expandImageArgs(images, ctx);
      await withRecognizer(ctx, o, 'create', async (fr, g) => {
        const options = { ...(o.name === undefined ? {} : { name: o.name }), ...(metadata === undefined ? {} : { metadata }), append: o.append === true, face };
        const r = await enrollImages(g, fr, id, files, options);
        const outcomes = new FileOutcomes(ctx);
        for (const s of r.skipped) {
          if (s.code === 'NO_FACE') outcomes.faces(0);
          else outcomes.failed(s.fileName, new ArcFaceError(s.code, s.message));
        }
        printJson(ctx, {
          id: r.id,
          templates: r.templateIds.length,
          templateIds: r.templateIds,
          known: r.known.map((k) => ({ file: k.fileName, templateId: k.templateId })),
          skipped: r.skipped.map((s) => ({ file: s.fileName, code: s.code })),
        });
        outcomes.finish();
      });
    });

  withModelOptions(program.command('identify'))
    .description('Identify every face of each image against the gallery (open set: known/unknown).')
    .argument('<images...>', 'image files or folders')
    .option('-k, --top <k>', 'candidates per face', parseIntOption('--top', 1, 1000), 5)
    .option(
      '-t, --threshold <cosine>',
      "cosine for 'known' (default: the one that holds --fpir at the gallery's size, from the recogniser's impostor table; never below its 1:1 threshold)",
      parseNumberOption('--threshold', -1, 1),
    )
    .option('--fpir <rate>', 'target false positive identification rate: the share of strangers taken for someone', parseNumberOption('--fpir', 1e-9, 0.5))
    .addHelpText(
      'after',
      '\nOutput: [{"file","faces":[{"box","decision","threshold","thresholdSource","thresholdReason","candidates":[{"id","name","score","subCenter"}]}]}]; a file that fails is {"file","error"}.\n' +
        'Exit codes: 0 ok, 2 a file was bad input or the gallery is missing, 3 model problem, 4 an image had no face.',
    )
    .action(async (images: string[], o: ModelOptions & { top: number; fpir?: number }) => {
      const files = await expandImageArgs(images, ctx);
      await withRecognizer(ctx, o, 'existing', async (fr, g) => {
        const out = [];
        const outcomes = new FileOutcomes(ctx);
        for (const file of files) {
          let faces: Awaited<ReturnType<typeof identifyImage>>;
          try {
            faces = await identifyImage(g, fr, file, {
              topK: o.top,
              ...(o.threshold === undefined ? {} : { threshold: o.threshold }),
              ...(o.fpir === undefined ? {} : { fpir: o.fpir }),
            });
          } catch (err) {
            out.push(outcomes.failed(file, err));
            continue;
          }
          outcomes.faces(faces.length);
          out.push({
            file,
            faces: faces.map((f) => ({
              box: f.box.map((v) => round(v, 1)),
              decision: f.decision,
              threshold: f.threshold,
              thresholdSource: f.thresholdChoice.source,
              thresholdReason: f.thresholdChoice.reason,
              candidates: f.candidates.map((c) => ({ id: c.id, name: c.name, score: round(c.score), subCenter: c.subCenter })),
            })),
          });
        }
        printJson(ctx, out);
        outcomes.finish();
      });
    });

  withModelOptions(program.command('verify'))
    .description('Is the largest face of an image the enrolled identity? (1:1)')
    .argument('<image>', 'image file')
    .argument('<id>', 'identity id')
    .option('-t, --threshold <cosine>', "cosine for a match (default: the recogniser's calibrated one)", parseNumberOption('--threshold', -1, 1))
    .addHelpText(
      'after',
      '\nOutput: {"id","match","score","threshold","box","facesFound","faceIndex"} for the largest face. Exit 4 when the image has no face.',
    )
    .action(async (image: string, id: string, o: ModelOptions) => {
      await withRecognizer(ctx, o, 'existing', async (fr, g) => {
        const v = await verifyImage(g, fr, image, id);
        const which = { facesFound: v.facesFound, faceIndex: v.faceIndex };
        printJson(ctx, {
          id: v.id,
          match: v.match,
          score: round(v.score),
          threshold: v.threshold,
          subCenter: v.subCenter,
          box: v.box.map((x) => round(x, 1)),
          ...which,
        });
      });
    });

  const gallery = program
    .command('gallery')
    .description('List, inspect, edit, audit, export and import a gallery; forget an identity; seal and rekey a gallery.');
  registerManagement(gallery, ctx);
  registerPrivacyCommands(gallery, ctx);
}

type EnrollOptions = ModelOptions &
  BulkModelOptions & {
    name?: string;
    metadata?: string;
    append?: boolean;
    select: string;
    box?: string;
    people?: string;
    queue?: string;
    queueName: string;
  };

function registerManagement(gallery: Command, ctx: CliContext): void {
  manage(gallery.command('list'))
    .description('Identities with template counts.')
    .action(async (o: GOpts) => {
      await withGallery(ctx, o, async (g) =>
        printJson(
          ctx,
          (await g.list()).map((i) => ({ id: i.id, name: i.name, templates: i.templateCount, metadata: i.metadata })),
        ),
      );
    });
  manage(gallery.command('show'))
    .description('One identity: templates (source, detection score, face size) and sub-centres.')
    .argument('<id>')
    .action(async (id: string, o: GOpts) => {
      await withGallery(ctx, o, async (g) => printJson(ctx, await g.show(id)));
    });
  manage(gallery.command('remove'))
    .description('Remove an identity and its templates, or with --template one template (a photo `gallery audit` flagged).')
    .argument('<id>')
    .option(
      '--template <templateId>',
      'remove only this template (ids from `gallery show` or `gallery audit`)',
      parseIntOption('--template', 1, Number.MAX_SAFE_INTEGER),
    )
    .action(async (id: string, o: GOpts & { template?: number }) => {
      await withGallery(ctx, o, async (g) => {
        if (o.template === undefined) {
          await g.remove(id);
          // Its sightings and "not X" negatives go with it.
          const sightings = g.store.kind === 'indexeddb' ? undefined : await Sightings.open(g);
          const forgotten = (await sightings?.forgetIdentity(id)) ?? 0;
          await sightings?.close();
          printJson(ctx, { removed: id, ...(forgotten === 0 ? {} : { sightings: forgotten }) });
        } else {
          await g.removeTemplate(id, o.template);
          printJson(ctx, { removed: id, template: o.template });
        }
      });
    });
  manage(gallery.command('rename'))
    .description("Change an identity's id and/or display name.")
    .argument('<id>')
    .option('--to <newId>', 'new id')
    .option('-n, --name <name>', 'new display name')
    .action(async (id: string, o: GOpts & { to?: string; name?: string }) => {
      await withGallery(ctx, o, async (g) => {
        await g.rename(id, { ...(o.to === undefined ? {} : { newId: o.to }), ...(o.name === undefined ? {} : { name: o.name }) });
        printJson(ctx, { renamed: id, id: o.to ?? id, ...(o.name === undefined ? {} : { name: o.name }) });
      });
    });
  manage(gallery.command('merge'))
    .description('Move every template of <from> into <into> and remove <from>.')
    .argument('<from>')
    .argument('<into>')
    .action(async (from: string, into: string, o: GOpts) => {
      await withGallery(ctx, o, async (g) => {
        await g.merge(from, into);
        printJson(ctx, { merged: from, into });
      });
    });
  manage(gallery.command('audit'))
    .description("Templates far from their identity's dominant sub-centre: probable mislabels or bad photos.")
    .option('-t, --threshold <cosine>', "flag below this cosine (default: the recogniser's calibrated one)", parseNumberOption('--threshold', -1, 1))
    .option('-r, --recognizer <name>', "registry name whose calibrated threshold to use (default: the gallery's recorded model)")
    .action(async (o: GOpts & { threshold?: number; recognizer?: string }) => {
      await withGallery(ctx, o, async (g) => {
        const model = o.recognizer === undefined ? knownModelOfFingerprint(g.fingerprint) : findKnownModel(o.recognizer);
        const threshold = o.threshold ?? model?.threshold?.cosine;
        if (threshold === undefined) {
          throw new ArcFaceError(
            'INVALID_ARGUMENT',
            `Expected --threshold: recogniser ${o.recognizer ?? modelLabel(g.fingerprint)} has no calibrated threshold`,
          );
        }
        const findings = await g.audit({ threshold });
        printJson(
          ctx,
          findings.map((f) => ({ ...f, score: round(f.score) })),
        );
      });
    });
  manage(gallery.command('export'))
    .description('Write the gallery to a versioned export file (JSON header + float32 payload).')
    .argument('<file>')
    .action(async (file: string, o: GOpts) => {
      await withGallery(ctx, o, async (g) => printJson(ctx, { file, ...(await g.export(file)) }));
    });
  manage(gallery.command('import'))
    .description("Read an export file into the gallery (created with the export's model when absent).")
    .argument('<file>')
    .option('--append', 'add templates to identities that already exist (templates of the same source image are skipped)')
    .action(async (file: string, o: GOpts & { append?: boolean }) => {
      ctx.json = o.json === true;
      let bytes: Uint8Array;
      const kek = await readKek(ctx, o.kekFile);
      try {
        bytes = await readFile(file);
      } catch (e) {
        throw new ArcFaceError('FILE_NOT_FOUND', `Expected an export file at ${file} but it cannot be read`, { cause: e });
      }
      if (isSealedExport(bytes)) {
        if (kek === undefined)
          throw new ArcFaceError('GALLERY_SEALED', `Expected --kek-file or ARCFACE_GALLERY_KEK to read ${file}, which is sealed, but received neither`);
        bytes = await openExport(bytes, kek, `export ${file}`);
      }
      const header: ExportHeader = decodeExport(bytes).header;
      // A sealed export goes into a sealed gallery (created sealed when absent), never into a plain one silently.
      const model = { fingerprint: header.fingerprint, embeddingSize: header.embeddingSize, ...(kek === undefined ? {} : { kek }) };
      const g = await openCommandGallery(ctx, galleryLocation(ctx, o.gallery), 'create', model);
      try {
        printJson(ctx, { file, ...(await g.importBytes(bytes, { append: o.append === true }, `export ${file}`)) });
      } finally {
        await g.close();
      }
    });
}
