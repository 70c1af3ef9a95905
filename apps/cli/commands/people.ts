import { watch } from 'node:fs';
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { ArcFaceError } from '../../../src/core/index.js';
import { openGallery, type Gallery } from '../../../src/gallery/index.js';
import {
  addImages,
  contactSheetHtml,
  contactSheetPng,
  People,
  PEOPLE_DEFAULTS,
  syncFolders,
  type PeopleOptions,
  type SkippedFace,
  type SyncSummary,
} from '../../../src/people/index.js';
import { FaceRecognizer, RECOGNIZER_DEFAULTS } from '../../../src/pipeline/index.js';
import { expandImageArgs, noticeLicence, printJson, type CliContext } from '../context.js';
import { createProgress } from '../progress.js';
import { parseIntOption, parseNumberOption } from './options.js';
import { onStopSignal } from '../stop-signals.js';

interface PeopleCliOptions {
  gallery?: string;
  json?: boolean;
}

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

/** A skipped face or photo as reports print it: the photo, the face's box, the reason, and whether the photo's main face was kept. */
const skippedJson = (s: SkippedFace): Record<string, unknown> => ({
  file: s.file,
  reason: s.reason,
  ...(s.box === undefined ? {} : { box: s.box.map((v) => Math.round(v * 10) / 10), mainFaceKept: s.mainFaceKept === true }),
});

const syncJson = (r: SyncSummary): Record<string, unknown> => ({
  dryRun: r.dryRun,
  files: r.files,
  unchanged: r.unchanged,
  added: r.added.length,
  faces: r.faces,
  moved: r.moved,
  copies: r.copies,
  removed: r.removed,
  removedFaces: r.removed.reduce((n, x) => n + x.faces, 0),
  skipped: r.skipped.map(skippedJson),
});

interface RecognizerCliOptions {
  recognizer: string;
  detector: string;
}

/** Opens the recogniser, the gallery and people for a command that adds photos. */
async function withRecognizer<T>(
  ctx: CliContext,
  o: PeopleCliOptions & RecognizerCliOptions,
  po: Partial<PeopleOptions>,
  fn: (p: People, fr: FaceRecognizer) => Promise<T>,
): Promise<T> {
  await noticeLicence(ctx, o.recognizer);
  const fr = await FaceRecognizer.create({ locations: ctx.locations, recognizer: o.recognizer, detector: o.detector });
  try {
    const g = await openGallery(location(ctx, o.gallery), {
      fingerprint: fr.fingerprint,
      embeddingSize: fr.embeddingSize,
      ...(fr.threshold === undefined ? {} : { threshold: fr.threshold }),
    });
    try {
      return await withPeople(ctx, g, po, (p) => fn(p, fr));
    } finally {
      await g.close();
    }
  } finally {
    await fr.dispose();
  }
}

async function folders(args: readonly string[]): Promise<string[]> {
  for (const a of args) {
    const st = await stat(a).catch(() => null);
    if (st === null || !st.isDirectory())
      throw new ArcFaceError('FILE_NOT_FOUND', `Expected a folder to scan at ${a} but ${st === null ? 'nothing is there' : 'it is a file'}`);
  }
  return [...args];
}

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
  program
    .command('cluster')
    .description('Group the faces of photos into people (incrementally; --full re-clusters everything).')
    .argument('<images...>', 'image files or folders')
    .option('-g, --gallery <path|postgres://url>', 'gallery (default $ARCFACE_GALLERY, else gallery.db in ARCFACE_HOME)')
    .option('-r, --recognizer <name|path>', 'recogniser', RECOGNIZER_DEFAULTS.recognizer)
    .option('-d, --detector <name|path>', 'face detector', RECOGNIZER_DEFAULTS.detector)
    .option(
      '--min-faces <n>',
      'faces within --max-distance (itself included) that make a face core',
      parseIntOption('--min-faces', 1, 1000),
      PEOPLE_DEFAULTS.minFaces,
    )
    .option('--max-distance <d>', 'cosine distance of a core neighbourhood', parseNumberOption('--max-distance', 0, 2), PEOPLE_DEFAULTS.maxDistance)
    .option('--full', 'then re-cluster every face not fixed by hand (average linkage)')
    .option('--sync', 'the arguments are folders to keep in step with, as `people scan` does (moved, deleted and new photos)')
    .option('--sheet <file.png|file.html>', 'write a contact sheet of every person')
    .option('--json', 'compact JSON for machines')
    .addHelpText(
      'after',
      [
        '',
        'Photos are known by content (SHA-256): a photo added before, under any name, adds nothing and is listed in "known";',
        're-running on the same folder changes nothing. Faces moved by hand (merge, split, not-this-person) stay where they were put.',
        'Output: {"images","faces","known":[{"file","movedFrom"?}],"skipped":[{"file","reason","box"?,"mainFaceKept"?}],',
        '"people":[{"person","name","identity","faces"}]}; a skipped entry with a box is one face, and mainFaceKept says the photo itself was kept.',
      ].join('\n'),
    )
    .action(
      async (
        images: string[],
        o: PeopleCliOptions & RecognizerCliOptions & { minFaces: number; maxDistance: number; full?: boolean; sheet?: string; sync?: boolean },
      ) => {
        ctx.json = o.json === true;
        const po = { minFaces: o.minFaces, maxDistance: o.maxDistance };
        if (o.sync === true) {
          const roots = await folders(images);
          await withRecognizer(ctx, o, po, async (people, fr) => {
            const r = await syncFolders(people, fr, roots, await expandImageArgs(roots));
            if (o.full === true) await people.recluster();
            if (o.sheet !== undefined) await writeSheet(people, o.sheet);
            printJson(ctx, { ...syncJson(r), people: await summary(people) });
          });
          return;
        }
        const files = await expandImageArgs(images);
        await withRecognizer(ctx, o, po, async (people, fr) => {
          const bar = createProgress({ total: files.length, label: 'clustering', stream: ctx.stderr, silent: ctx.json });
          const r = await addImages(people, fr, files, { onProgress: (p) => bar.update(p.done) });
          bar.done();
          if (o.full === true) await people.recluster();
          if (o.sheet !== undefined) await writeSheet(people, o.sheet);
          printJson(ctx, {
            images: r.images.length,
            faces: r.images.reduce((n, i) => n + i.faces.length, 0),
            known: r.known.map((k) => ({ file: k.file, ...(k.movedFrom === undefined ? {} : { movedFrom: k.movedFrom }) })),
            skipped: r.skipped.map(skippedJson),
            people: await summary(people),
          });
        });
      },
    );

  const people = program.command('people').description('Persons found by clustering: list, show, name, merge, split, hide, contact sheet.');
  const manage = (cmd: Command): Command => cmd.option('-g, --gallery <path|postgres://url>', 'gallery').option('--json', 'compact JSON for machines');
  manage(people.command('list'))
    .description('Persons with face counts, most faces first.')
    .option('--hidden', 'include hidden persons')
    .action(async (o: PeopleCliOptions & { hidden?: boolean }) => {
      await withStoredPeople(ctx, o, async (p) =>
        printJson(
          ctx,
          (await p.list({ hidden: o.hidden === true })).map((x) => ({
            person: x.personId,
            name: x.name,
            identity: x.identityId,
            faces: x.faceCount,
            hidden: x.hidden,
          })),
        ),
      );
    });
  manage(people.command('show'))
    .description('One person and its faces.')
    .argument('<person>')
    .action(async (person: string, o: PeopleCliOptions) => {
      await withStoredPeople(ctx, o, async (p) => printJson(ctx, await p.show(ids('<person>', [person])[0] as number)));
    });
  manage(people.command('name'))
    .description('Name a person: its faces become a gallery identity that identify recognises.')
    .argument('<person>')
    .argument('<name>')
    .option('--id <identity>', 'identity id (default person-<n>)')
    .action(async (person: string, name: string, o: PeopleCliOptions & { id?: string }) => {
      await withStoredPeople(ctx, o, async (p) =>
        printJson(ctx, await p.name(ids('<person>', [person])[0] as number, name, o.id === undefined ? {} : { id: o.id })),
      );
    });
  manage(people.command('merge'))
    .description('Move every face of <from> into <into>.')
    .argument('<from>')
    .argument('<into>')
    .action(async (from: string, into: string, o: PeopleCliOptions) => {
      const [a, b] = ids('<person>', [from, into]) as [number, number];
      await withStoredPeople(ctx, o, async (p) => {
        await p.merge(a, b);
        printJson(ctx, { merged: a, into: b });
      });
    });
  manage(people.command('split'))
    .description('Move faces to a new person (or --into an existing one).')
    .argument('<faces...>', 'face ids')
    .option('--into <person>', 'existing person to move them to', parseIntOption('--into', 1, Number.MAX_SAFE_INTEGER))
    .action(async (faces: string[], o: PeopleCliOptions & { into?: number }) => {
      await withStoredPeople(ctx, o, async (p) => printJson(ctx, await p.split(ids('<faces>', faces), o.into)));
    });
  manage(people.command('reject'))
    .description('"Not this person": the face leaves its person and never joins it again.')
    .argument('<face>', 'face id')
    .action(async (face: string, o: PeopleCliOptions) => {
      await withStoredPeople(ctx, o, async (p) => printJson(ctx, await p.reject(ids('<face>', [face])[0] as number)));
    });
  manage(people.command('scan'))
    .description('Keep people in step with folders: add new photos, follow moved files, drop faces of deleted ones.')
    .argument('<folders...>', 'folders of photos')
    .option('-r, --recognizer <name|path>', 'recogniser', RECOGNIZER_DEFAULTS.recognizer)
    .option('-d, --detector <name|path>', 'face detector', RECOGNIZER_DEFAULTS.detector)
    .option('--dry-run', 'report what would change, change nothing')
    .option('--watch', 'keep running: scan again after files change')
    .option('--debounce <ms>', 'quiet time after a change before a watch scan', parseIntOption('--debounce', 10, 3_600_000), 2000)
    .addHelpText(
      'after',
      [
        '',
        'Unchanged files (same path, size and mtime) are not read; other files are known by content, so a moved or renamed photo keeps',
        'its faces and persons. Only photos last seen under the given folders can be removed. Safe from cron: every photo is claimed',
        "inside the gallery's write transaction, so overlapping runs add each photo once. --watch prints one JSON summary per scan.",
        'Output: {"dryRun","files","unchanged","added","faces","moved":[{"from","to"}],"copies","removed":[{"file","faces"}],"removedFaces","skipped"}.',
      ].join('\n'),
    )
    .action(async (dirs: string[], o: PeopleCliOptions & RecognizerCliOptions & { dryRun?: boolean; watch?: boolean; debounce: number }) => {
      ctx.json = o.json === true;
      const roots = await folders(dirs);
      await withRecognizer(ctx, o, {}, async (p, fr) => {
        const once = async (): Promise<void> =>
          printJson(ctx, syncJson(await syncFolders(p, fr, roots, await expandImageArgs(roots), { dryRun: o.dryRun === true })));
        if (o.watch === true) await watchFolders(roots, o.debounce, once);
        else await once();
      });
    });
  manage(people.command('hide'))
    .description('Hide a person from lists (--show to undo).')
    .argument('<person>')
    .option('--show', 'show it again')
    .action(async (person: string, o: PeopleCliOptions & { show?: boolean }) => {
      const id = ids('<person>', [person])[0] as number;
      await withStoredPeople(ctx, o, async (p) => {
        await p.hide(id, o.show !== true);
        printJson(ctx, { person: id, hidden: o.show !== true });
      });
    });
  manage(people.command('sheet'))
    .description('Write a contact sheet of every person (.png or .html).')
    .argument('<file>')
    .action(async (file: string, o: PeopleCliOptions) => {
      await withStoredPeople(ctx, o, async (p) => {
        await writeSheet(p, file);
        printJson(ctx, { sheet: file });
      });
    });
}

/**
 * Runs `scan` now and again after changes under `roots` settle for `debounceMs`, one scan at a time
 * (a change during a scan schedules one more), until SIGINT or SIGTERM. The folders are watched
 * before the first scan, so nothing changed while it runs is missed.
 */
async function watchFolders(roots: readonly string[], debounceMs: number, scan: () => Promise<void>): Promise<void> {
  await new Promise<void>((done, fail) => {
    let timer: NodeJS.Timeout | undefined;
    let running: Promise<void> | null = null;
    let again = false;
    const run = (): void => {
      timer = undefined;
      if (running !== null) {
        again = true;
        return;
      }
      running = scan()
        .catch((e: unknown) => {
          stop();
          fail(e);
        })
        .finally(() => {
          running = null;
          if (again) {
            again = false;
            schedule();
          }
        });
    };
    const schedule = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      timer = setTimeout(run, debounceMs);
    };
    const watchers = roots.map((r) => watch(r, { recursive: true }, schedule));
    const stop = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      for (const w of watchers) w.close();
      offStop();
    };
    const offStop = onStopSignal(() => {
      stop();
      void (running ?? Promise.resolve()).then(() => done());
    });
    run();
  });
}
