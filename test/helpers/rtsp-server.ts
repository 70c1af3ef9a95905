/**
 * A real RTSP server on loopback for the tests: Debian's `rtsp-server-perl` (RTSP::Server), fed by
 * the bundled ffmpeg publishing a clip to it (RTSP ANNOUNCE/RECORD), as a camera or an encoder would.
 * Clients read `rtsp://127.0.0.1:<clientPort>/<name>`; the server sends RTP over UDP only.
 * `.ci/run` installs the package when it is missing; without it these helpers throw, loudly.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { defaultFfmpegPath } from '../../src/video/index.js';
import { killOnExit } from './children.js';

/** The Debian package's server program. */
export const RTSP_SERVER_BIN = '/usr/bin/rtsp-server-perl';

export interface RtspServer {
  /** The address clients read, e.g. `rtsp://127.0.0.1:40123/cam`. */
  url(name: string): string;
  /** Publishes `clip` as `name` in real time (looping when asked) with the bundled ffmpeg. */
  publish(clip: string, name: string, options?: { loop?: boolean }): ChildProcess;
  /** Stops the server process (clients lose it), keeping its ports for {@link RtspServer.restart}. */
  stop(): Promise<void>;
  /** Starts the server again on the same ports. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Resolves once something accepts TCP connections on `port` (polled every 50 ms, at most `ms`). */
async function waitForPort(port: number, ms: number): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`Expected rtsp-server-perl to listen on 127.0.0.1:${port} within ${ms} ms but it does not`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function stopProcess(p: ChildProcess | undefined): Promise<void> {
  if (p === undefined || p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    p.once('exit', () => resolve());
    p.kill('SIGKILL');
  });
}

/**
 * Starts `rtsp-server-perl` on free loopback ports (clients, publishers, and a UDP range for RTP).
 *
 * @example
 * const rtsp = await startRtspServer()
 * rtsp.publish('clip.mp4', 'cam', { loop: true })
 * for await (const f of openVideoSource(rtsp.url('cam'), { rtspTransport: 'udp' })) …
 */
export async function startRtspServer(): Promise<RtspServer> {
  if (!existsSync(RTSP_SERVER_BIN)) {
    throw new Error(`Expected Debian's RTSP server at ${RTSP_SERVER_BIN} but it is missing: apt-get install rtsp-server-perl (.ci/run installs it)`);
  }
  const clientPort = await freePort();
  const sourcePort = await freePort();
  // RTP ports for the clients, two per stream: a free TCP port number, rounded to even, is free enough for UDP on loopback.
  const rtpStart = (await freePort()) & ~1;
  const publishers: ChildProcess[] = [];
  let server: ChildProcess | undefined;
  let log = '';
  const start = async (): Promise<void> => {
    log = '';
    const p = killOnExit(
      spawn(
        RTSP_SERVER_BIN,
        [
          '--clientport',
          String(clientPort),
          '--serverport',
          String(sourcePort),
          '--rtp_start_port',
          String(rtpStart),
          '--client_listen_address',
          '127.0.0.1',
          '--source_listen_address',
          '127.0.0.1',
          '--loglevel',
          '2',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      ),
    );
    p.stdout?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
    p.stderr?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
    server = p;
    try {
      await waitForPort(clientPort, 10_000);
      await waitForPort(sourcePort, 10_000);
    } catch (err) {
      await stopProcess(p);
      throw new Error(`${(err as Error).message}; its log: ${log}`);
    }
  };
  await start();
  return {
    url: (name) => `rtsp://127.0.0.1:${clientPort}/${name}`,
    publish(clip, name, options = {}) {
      const ff = killOnExit(
        spawn(
          defaultFfmpegPath(),
          [
            '-hide_banner',
            '-nostdin',
            '-v',
            'error',
            '-re',
            ...(options.loop === true ? ['-stream_loop', '-1'] : []),
            '-i',
            clip,
            // A key frame every 10 frames: a client that joins mid-stream starts within 0.4 s at 25 fps.
            '-an',
            '-c:v',
            'libx264',
            '-preset',
            'ultrafast',
            '-tune',
            'zerolatency',
            '-g',
            '10',
            '-pix_fmt',
            'yuv420p',
            '-f',
            'rtsp',
            `rtsp://127.0.0.1:${sourcePort}/${name}`,
          ],
          { stdio: ['ignore', 'ignore', 'pipe'] },
        ),
      );
      publishers.push(ff);
      return ff;
    },
    stop: () => stopProcess(server),
    restart: start,
    async close() {
      await Promise.all(publishers.map((p) => stopProcess(p)));
      await stopProcess(server);
    },
  };
}
