import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { isArcFaceError, type RgbImage } from '../../../src/core/index.js';
import type { Gallery } from '../../../src/gallery/index.js';
import { encodeJpeg } from '../../../src/image/index.js';
import { FaceRecognizer, RECOGNIZER_DEFAULTS } from '../../../src/pipeline/index.js';
import { redactUrl } from '../../../src/core/index.js';
import { Sightings, type SightingEvent } from '../../../src/sightings/index.js';
import { annotateFrame, buildTimeline, timelineCues, watchFaces, withDetectorDownscale, type StreamEvent } from '../../../src/stream/index.js';
import { openVideoSource, toWebVtt, VideoWriter, type VideoSourceOptions } from '../../../src/video/index.js';
import { noticeLicence, type CliContext } from '../context.js';
import { openCommandGallery, recognizerFor } from '../gallery-open.js';
import { createProgress } from '../progress.js';
import { parseChoiceOption, parseIntOption, parseNumberOption } from './options.js';
import { onStopSignal } from '../stop-signals.js';

interface WatchCliOptions {
  gallery?: string;
  recognizer?: string;
  detector: string;
  events?: string;
  annotate?: string;
  timeline?: string;
  vtt?: string;
  thumbnails?: string;
  fps?: number;
  maxSize?: readonly [number, number];
  live?: boolean;
  realtime?: boolean;
  loop?: boolean;
  detectEvery: number;
  threshold?: number;
  labelUnknowns?: boolean;
  timeout?: number;
  reconnect?: number;
  rtspTransport?: 'tcp' | 'udp';
  sightings: boolean;
  sourceName?: string;
  json?: boolean;
}

/** The `--max-size WxH` parser. */
function parseSize(value: string): readonly [number, number] {
  const m = /^(\d{1,5})x(\d{1,5})$/i.exec(value.trim());
  const w = Number(m?.[1]);
  const h = Number(m?.[2]);
  if (m === null || w < 16 || h < 16)
    throw new InvalidArgumentError(`Expected --max-size as WIDTHxHEIGHT of at least 16x16 (e.g. 1280x720) but received "${value}"`);
  return [w, h];
}

/**
 * `arcface watch <file|url|device|folder>`: faces in a video or a live stream, tracked and named;
 * JSON Lines events, a timeline, an annotated video, WebVTT captions and thumbnails.
 *
 * @example
 * registerWatchCommand(program, ctx)
 */
export function registerWatchCommand(program: Command, ctx: CliContext): void {
  program
    .command('watch')
    .description('Recognise faces in a video file, a stream (rtsp://, http(s)://, HLS, MJPEG), a camera (/dev/videoN) or a folder of frames.')
    .argument('<source>', 'video file, stream URL, V4L2 device or folder of frames')
    .option('-g, --gallery <path|postgres://url>', 'name tracks with the identities of this gallery (must exist)')
    .option(
      '-r, --recognizer <name|path>',
      `recogniser: registry name, .onnx file or NN Archive (default: the gallery's, else ${RECOGNIZER_DEFAULTS.recognizer})`,
    )
    .option('-d, --detector <name|path>', 'face detector: registry name or known file', RECOGNIZER_DEFAULTS.detector)
    .option('--events <file.jsonl>', 'write events as JSON Lines to this file (default: stdout)')
    .option('--annotate <out.mp4>', 'write the video with boxes, track ids and names')
    .option('--timeline <out.json>', 'write who appeared when')
    .option('--vtt <out.vtt>', 'write WebVTT captions of the names')
    .option('--thumbnails <dir>', 'write the best face crop of each track (JPEG); events name the file')
    .option('--fps <n>', 'sample the source at this frame rate', parseNumberOption('--fps', 0.1, 240))
    .option('--max-size <WxH>', 'scale frames down to fit (e.g. 1280x720)', parseSize)
    .option('--live', 'never fall behind: drop frames when recognition is slower (default for streams and cameras)')
    .option('--realtime', 'read a file at its own frame rate, as a camera would deliver it')
    .option('--loop', 'loop a file forever (stop with Ctrl-C)')
    .option('--detect-every <k>', 'run the detector every k-th frame; the tracker predicts between', parseIntOption('--detect-every', 1, 100), 1)
    .option(
      '-t, --threshold <cosine>',
      "cosine for a known identity (default: the gallery's identification threshold)",
      parseNumberOption('--threshold', -1, 1),
    )
    .option('--label-unknowns', 'give unknown faces stable unknown-N labels and re-find them later')
    .option('--timeout <seconds>', 'give up on a stream that sends no frame for this long', parseNumberOption('--timeout', 0.1, 3600))
    .option(
      '--reconnect <n>',
      'open a stream that stops (ends, stalls, refuses) again, up to n times in a row, waiting 0.5 s, 1 s, 2 s … up to 8 s',
      parseIntOption('--reconnect', 0, 100),
    )
    .option(
      '--rtsp-transport <tcp|udp>',
      'how RTP packets of an rtsp:// stream travel (default tcp)',
      parseChoiceOption('--rtsp-transport', ['tcp', 'udp'] as const),
    )
    .option('--no-sightings', 'with a gallery, do not record ended tracks as sightings (Recent faces) in it')
    .option('--source-name <name>', 'the source name sightings are recorded under (default: the file name or the URL without its password)')
    .option('--json', 'compact JSON, no progress bar')
    .addHelpText(
      'after',
      '\nOutput: JSON Lines of events (track.started, track.identified, track.ended; with a gallery also sighting.recorded,\n' +
        'visitor.seen, visitor.recurring) on stdout unless --events names a file,\n' +
        'then one {"type":"summary",…} line with frame counts, dropped frames and the timeline (on stdout, and last in the\n' +
        '--events file too). Ctrl-C or SIGTERM (systemd, Docker) ends a live stream cleanly.\n' +
        'When the source fails mid-way (truncated file, a stream that ends or stalls) the events, summary and outputs so far\n' +
        'are still written, the summary names the error, and the exit code is that of the error (2).',
    )
    .action(async (input: string, o: WatchCliOptions) => {
      ctx.json = o.json === true;
      const recognizer = o.gallery === undefined ? (o.recognizer ?? RECOGNIZER_DEFAULTS.recognizer) : await recognizerFor(o.gallery, o.recognizer);
      await noticeLicence(ctx, recognizer);
      const fr = await FaceRecognizer.create({ locations: ctx.locations, recognizer, detector: o.detector });
      let gallery: Gallery | undefined;
      let sightings: Sightings | undefined;
      let eventsOut: WriteStream | undefined;
      let writer: VideoWriter | undefined;
      const abort = new AbortController();
      const offStop = onStopSignal(() => abort.abort());
      try {
        if (o.gallery !== undefined) {
          gallery = await openCommandGallery(ctx, o.gallery, 'existing', {
            fingerprint: fr.fingerprint,
            embeddingSize: fr.embeddingSize,
            ...(fr.threshold === undefined ? {} : { threshold: fr.threshold }),
          });
        }
        if (gallery !== undefined && o.sightings) sightings = await Sightings.open(gallery);
        const sourceName = o.sourceName ?? (/^[a-z][a-z0-9+.-]*:\/\//i.test(input) ? redactUrl(input) : basename(input));
        if (o.thumbnails !== undefined) await mkdir(o.thumbnails, { recursive: true });
        const sourceOptions: VideoSourceOptions = {
          ...(o.fps === undefined ? {} : { fps: o.fps }),
          ...(o.maxSize === undefined ? {} : { maxSize: o.maxSize }),
          ...(o.live === undefined ? {} : { live: o.live }),
          ...(o.realtime === undefined ? {} : { realtime: o.realtime }),
          ...(o.loop === undefined ? {} : { loop: o.loop }),
          ...(o.timeout === undefined ? {} : { openTimeoutMs: o.timeout * 1000, readTimeoutMs: o.timeout * 1000 }),
          ...(o.reconnect === undefined ? {} : { reconnectAttempts: o.reconnect }),
          ...(o.rtspTransport === undefined ? {} : { rtspTransport: o.rtspTransport }),
        };
        const source = openVideoSource(input, withDetectorDownscale(fr.detector, sourceOptions));
        const info = await source.info().catch(async (e: unknown) => {
          await source.close();
          throw e;
        });
        if (o.events !== undefined) eventsOut = createWriteStream(o.events);
        const emit = (line: string): void => {
          if (eventsOut !== undefined) eventsOut.write(`${line}\n`);
          else ctx.stdout.write(`${line}\n`);
        };
        const fps = o.fps ?? info.fps ?? 25;
        const expected = !info.live && o.loop !== true && info.durationSeconds !== undefined ? Math.round(info.durationSeconds * fps) : undefined;
        const progress = createProgress({
          label: 'frames',
          stream: ctx.stderr,
          silent: ctx.json || info.live,
          ...(expected === undefined ? {} : { total: expected }),
        });
        const all: StreamEvent[] = [];
        const started = performance.now();
        let frames = 0;
        let dropped = 0;
        let embedded = 0;
        let written = 0;
        const thumbnails = o.thumbnails;
        const onThumbnail =
          thumbnails === undefined
            ? undefined
            : async (trackId: number, crop: RgbImage): Promise<string> => {
                const path = join(thumbnails, `track-${trackId}.jpg`);
                await writeFile(path, await encodeJpeg(crop, 90));
                return path;
              };
        let failure: unknown;
        try {
          for await (const r of watchFaces(source, {
            recognizer: fr,
            detectEvery: o.detectEvery,
            labelUnknowns: o.labelUnknowns === true,
            signal: abort.signal,
            ...(gallery === undefined ? {} : { gallery: sightings === undefined ? gallery : sightings.guard(gallery) }),
            ...(sightings === undefined ? {} : { sightingFaces: sightings.options.facesPerSighting }),
            ...(o.threshold === undefined ? {} : { threshold: o.threshold }),
            ...(onThumbnail === undefined ? {} : { onThumbnail }),
          })) {
            for (const e of r.events) {
              all.push(e);
              emit(JSON.stringify(e));
            }
            for (const t of r.sightings ?? []) {
              const recorded = await sightings?.record(sourceName, t);
              for (const e of recorded?.events ?? ([] as SightingEvent[])) emit(JSON.stringify(e));
            }
            dropped = r.dropped;
            embedded += r.embedded;
            if (r.image !== undefined) {
              frames++;
              progress.tick();
              if (o.annotate !== undefined) {
                writer ??= await VideoWriter.open(o.annotate, { width: r.width, height: r.height, fps });
                // Frames are written at their timestamps: a frame a live source dropped is filled with the
                // last annotated one, so the video keeps the source's timing (at most 10 s of filling).
                const annotated = annotateFrame(r.image, r.tracks, { detectEvery: o.detectEvery });
                const until = Math.min(Math.max(written + 1, Math.round(r.pts * fps) + 1), written + Math.ceil(10 * fps));
                while (written < until) {
                  await writer.write(annotated);
                  written++;
                }
              }
            }
          }
        } catch (err) {
          // Outputs still record what was seen before the source failed; the error sets the exit code.
          failure = err;
        } finally {
          progress.done();
          await source.close();
        }
        const seconds = (performance.now() - started) / 1000;
        const timeline = buildTimeline(all);
        if (o.timeline !== undefined) await writeFile(o.timeline, `${JSON.stringify(timeline, null, 2)}\n`);
        if (o.vtt !== undefined) await writeFile(o.vtt, toWebVtt(timelineCues(all)));
        const summary = {
          type: 'summary',
          source: info.source,
          frames,
          dropped,
          reconnects: source.reconnects ?? 0,
          recognitions: embedded,
          seconds: Math.round(seconds * 1000) / 1000,
          framesPerSecond: Math.round((frames / Math.max(seconds, 1e-9)) * 100) / 100,
          interrupted: abort.signal.aborted,
          ...(isArcFaceError(failure) ? { error: failure.toJSON() } : {}),
          timeline,
        };
        // The events file is a complete record on its own: it ends with the summary line too.
        if (eventsOut !== undefined) eventsOut.write(`${JSON.stringify(summary)}\n`);
        ctx.stdout.write(`${JSON.stringify(summary, null, ctx.json || o.events === undefined ? undefined : 2)}\n`);
        if (failure !== undefined) throw failure;
      } finally {
        offStop();
        if (writer !== undefined) await writer.close();
        if (eventsOut !== undefined) await new Promise<void>((resolve) => (eventsOut as WriteStream).end(resolve));
        await sightings?.close();
        await gallery?.close();
        await fr.dispose();
      }
    });
}
