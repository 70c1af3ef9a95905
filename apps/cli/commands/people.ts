import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { ArcFaceError } from '../../../src/core/index.js';
import { openGallery, type Gallery } from '../../../src/gallery/index.js';
import { addImages, contactSheetHtml, contactSheetPng, People, PEOPLE_DEFAULTS, type PeopleOptions } from '../../../src/people/index.js';
import { FaceRecognizer, RECOGNIZER_DEFAULTS } from '../../../src/pipeline/index.js';
import { expandImageArgs, noticeLicence, printJson, type CliContext } from '../context.js';
import { createProgress } from '../progress.js';
import { parseIntOption, parseNumberOption } from './options.js';

interface PeopleCliOptions { gallery?: string; json?: boolean }

function location(ctx: CliContext, given: string | undefined): string {
  return given ?? ctx.env.ARCFACE_GALLERY ?? join(ctx.locations.home, 'gallery.db');
}

async function withPeople<T>(ctx: CliContext, g: Gallery, o: Partial<PeopleOptions>, fn: (p: People) => Promise<T>): Promise<T> {
  const people = await People.open(g, o);
  try {
    return await fn(people);
  } finally {
    await people.close();
  }
}

async function withStoredPeople<T>(ctx: CliContext, o: PeopleCliOptions, fn: (p: People) => Promise<T>): Promise<T> {
  ctx.json = o.json === true;
  const g = await openGallery(location(ctx, o.gallery));
  try {
    return await withPeople(ctx, g, {}, fn);
  } finally {
    await g.close();
  }
}

async function writeSheet(people: People, file: string): Promise<void> {
  if (file.endsWith('.html') || file.endsWith('.htm')) await writeFile(file, await contactSheetHtml(people));
  else if (file.endsWith('.png')) await writeFile(file, await contactSheetPng(people));
  else throw new ArcFaceError('INVALID_ARGUMENT', `Expected a contact sheet file ending in .png or .html but received ${file}`);
}

const summary = async (people: People): Promise<unknown[]> =>
  (await people.list()).map((p) => ({ person: p.personId, name: p.name, identity: p.identityId, faces: p.faceCount }));

function ids(name: string, values: string[]): number[] {
  return values.map((v) => parseIntOption(name, 1, Number.MAX_SAFE_INTEGER)(v));
}

/**
 * `arcface cluster` and `arcface people list | show | name | merge | split | hide | sheet`.
 *
 * @example
 * registerPeopleCommands(program, ctx)
 */
export function registerPeopleCommands(program: Command, ctx: CliContext): void {
  program.command('cluster')
    .description('Group the faces of photos into people (incrementally; --full re-clusters everything).')
    .argument('<images...>', 'image files or folders')
    .option('-g, --gallery <path|postgres://url>', 'gallery (default $ARCFACE_GALLERY, else gallery.db in ARCFACE_HOME)')
    .option('-r, --recognizer <name|path>', 'recogniser', RECOGNIZER_DEFAULTS.recognizer)
    .option('-d, --detector <name|path>', 'face detector', RECOGNIZER_DEFAULTS.detector)
    .option('--min-faces <n>', 'faces within --max-distance (itself included) that make a face core', parseIntOption('--min-faces', 1, 1000), PEOPLE_DEFAULTS.minFaces)
    .option('--max-distance <d>', 'cosine distance of a core neighbourhood', parseNumberOption('--max-distance', 0, 2), PEOPLE_DEFAULTS.maxDistance)
    .option('--full', 'then re-cluster every face not fixed by hand (average linkage)')
    .option('--sheet <file.png|file.html>', 'write a contact sheet of every person')
    .option('--json', 'compact JSON for machines')
    .addHelpText('after', '\nOutput: {"images","faces","skipped":[{"file","reason"}],"people":[{"person","name","identity","faces"}]}.')
    .action(async (images: string[], o: PeopleCliOptions & { recognizer: string; detector: string; minFaces: number; maxDistance: number; full?: boolean; sheet?: string }) => {
      ctx.json = o.json === true;
      const files = await expandImageArgs(images);
      await noticeLicence(ctx, o.recognizer);
      const fr = await FaceRecognizer.create({ locations: ctx.locations, recognizer: o.recognizer, detector: o.detector });
      try {
        const g = await openGallery(location(ctx, o.gallery), { fingerprint: fr.fingerprint, embeddingSize: fr.embeddingSize, ...(fr.threshold === undefined ? {} : { threshold: fr.threshold }) });
        try {
          await withPeople(ctx, g, { minFaces: o.minFaces, maxDistance: o.maxDistance }, async (people) => {
            const bar = createProgress({ total: files.length, label: 'clustering', stream: ctx.stderr, silent: ctx.json });
            const r = await addImages(people, fr, files, { onProgress: (p) => bar.update(p.done) });
            bar.done();
            if (o.full === true) await people.recluster();
            if (o.sheet !== undefined) await writeSheet(people, o.sheet);
            printJson(ctx, {
              images: r.images.length, faces: r.images.reduce((n, i) => n + i.faces.length, 0),
              skipped: r.skipped.map((s) => ({ file: s.file, reason: s.reason })), people: await summary(people),
            });
          });
        } finally {
          await g.close();
        }
      } finally {
        await fr.dispose();
      }
    });

  const people = program.command('people').description('Persons found by clustering: list, show, name, merge, split, hide, contact sheet.');
  const manage = (cmd: Command): Command => cmd.option('-g, --gallery <path|postgres://url>', 'gallery').option('--json', 'compact JSON for machines');
  manage(people.command('list')).description('Persons with face counts, most faces first.').option('--hidden', 'include hidden persons')
    .action(async (o: PeopleCliOptions & { hidden?: boolean }) => {
      await withStoredPeople(ctx, o, async (p) =>
        printJson(
          ctx,
          (await p.list({ hidden: o.hidden === true })).map((x) => ({ person: x.personId, name: x.name, identity: x.identityId, faces: x.faceCount, hidden: x.hidden })),
        ),
      );
    });
  manage(people.command('show')).description('One person and its faces.').argument('<person>')
    .action(async (person: string, o: PeopleCliOptions) => {
      await withStoredPeople(ctx, o, async (p) => printJson(ctx, await p.show(ids('<person>', [person])[0] as number)));
    });
  manage(people.command('name')).description('Name a person: its faces become a gallery identity that identify recognises.').argument('<person>').argument('<name>')
    .option('--id <identity>', 'identity id (default person-<n>)')
    .action(async (person: string, name: string, o: PeopleCliOptions & { id?: string }) => {
      await withStoredPeople(ctx, o, async (p) => printJson(ctx, await p.name(ids('<person>', [person])[0] as number, name, o.id === undefined ? {} : { id: o.id })));
    });
  manage(people.command('merge')).description('Move every face of <from> into <into>.').argument('<from>').argument('<into>')
    .action(async (from: string, into: string, o: PeopleCliOptions) => {
      const [a, b] = ids('<person>', [from, into]) as [number, number];
      await withStoredPeople(ctx, o, async (p) => {
        await p.merge(a, b);
        printJson(ctx, { merged: a, into: b });
      });
    });
  manage(people.command('split')).description('Move faces to a new person (or --into an existing one).').argument('<faces...>', 'face ids')
    .option('--into <person>', 'existing person to move them to', parseIntOption('--into', 1, Number.MAX_SAFE_INTEGER))
    .action(async (faces: string[], o: PeopleCliOptions & { into?: number }) => {
      await withStoredPeople(ctx, o, async (p) => printJson(ctx, await p.split(ids('<faces>', faces), o.into)));
    });
  manage(people.command('hide')).description('Hide a person from lists (--show to undo).').argument('<person>').option('--show', 'show it again')
    .action(async (person: string, o: PeopleCliOptions & { show?: boolean }) => {
      const id = ids('<person>', [person])[0] as number;
      await withStoredPeople(ctx, o, async (p) => {
        await p.hide(id, o.show !== true);
        printJson(ctx, { person: id, hidden: o.show !== true });
      });
    });
  manage(people.command('sheet')).description('Write a contact sheet of every person (.png or .html).').argument('<file>')
    .action(async (file: string, o: PeopleCliOptions) => {
      await withStoredPeople(ctx, o, async (p) => {
        await writeSheet(p, file);
        printJson(ctx, { sheet: file });
      });
    });
}
