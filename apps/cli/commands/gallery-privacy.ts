import type { Command } from 'commander';
import { ArcFaceError } from '../../../src/core/index.js';
import { printJson, type CliContext } from '../context.js';
import { galleryLocation, manage, openCommandGallery, readKek, withGallery, type GOpts } from '../gallery-open.js';

/**
 * `arcface gallery forget | seal | rekey`: erasure of one identity with a receipt, sealing a gallery
 * at rest, and rotating its key-encryption key. See the README, Privacy.
 *
 * @example
 * registerPrivacyCommands(program.command('gallery'), ctx)
 */
export function registerPrivacyCommands(gallery: Command, ctx: CliContext): void {
  manage(gallery.command('forget'))
    .description(
      'Forget an identity for good: its templates, thumbnails and people-discovery faces in one transaction, scrubbed from the files; prints a receipt.',
    )
    .argument('<id>')
    .option('--vacuum', 'rewrite the gallery tables after (SQLite VACUUM; PostgreSQL VACUUM FULL, which locks them meanwhile)')
    .addHelpText(
      'after',
      '\nOutput: {"id","store","forgottenAt","durationMs","steps","deleted":{"identities","templates","thumbnails","personFaces","persons",…},' +
        '"scrub":{"secureDelete","walTruncated","vacuumed","cachesRemoved"}}. walTruncated false: a reader held the WAL; run `gallery forget` of another id or reopen to retry.',
    )
    .action(async (id: string, o: GOpts & { vacuum?: boolean }) => {
      await withGallery(ctx, o, async (g) => printJson(ctx, await g.forget(id, { vacuum: o.vacuum === true })));
    });

  manage(gallery.command('seal'))
    .description(
      'Seal an unsealed SQLite gallery: encrypt every template, thumbnail and people-discovery face at rest under a new data key that --kek-file (or $ARCFACE_GALLERY_KEK) wraps.',
    )
    .addHelpText('after', '\nOutput: {"sealed":true,"kekId","templates","thumbnails","personFaces"}. From then on every command on the gallery needs the key.')
    .action(async (o: GOpts) => {
      ctx.json = o.json === true;
      const kek = await readKek(ctx, o.kekFile);
      if (kek === undefined)
        throw new ArcFaceError('INVALID_ARGUMENT', 'Expected --kek-file or ARCFACE_GALLERY_KEK to seal the gallery with but received neither');
      // Opened as it is (unsealed): the key is given to seal, not to open.
      const g = await openCommandGallery(ctx, galleryLocation(ctx, o.gallery), 'existing', {});
      try {
        printJson(ctx, { sealed: true, kekId: kek.id, ...(await g.seal(kek)) });
      } finally {
        await g.close();
      }
    });

  manage(gallery.command('rekey'))
    .description("Wrap a sealed gallery's data key under a new key-encryption key; no template is re-encrypted.")
    .requiredOption(
      '--new-kek-file <path>',
      'the new key-encryption key (64 hex digits or base64 of 32 bytes); the current one comes from --kek-file or $ARCFACE_GALLERY_KEK',
    )
    .addHelpText('after', '\nOutput: {"rekeyed":true,"kekId"}. The old key opens the gallery no more; keep backups made before with the old key.')
    .action(async (o: GOpts & { newKekFile: string }) => {
      const next = await readKek(ctx, o.newKekFile);
      if (next === undefined) throw new ArcFaceError('INVALID_ARGUMENT', 'Expected --new-kek-file but received none');
      await withGallery(ctx, o, async (g) => printJson(ctx, { rekeyed: true, ...(await g.rekey(next)) }));
    });
}
