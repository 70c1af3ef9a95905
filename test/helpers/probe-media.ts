/**
 * Probe material for the upload tests: a loopback canary that counts the connections it receives,
 * and hand-made manifests and playlists that point ffmpeg at it or at local files.
 */
import { createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP listener on a free loopback port that counts the connections it receives; it closes each
 * at once, or with `hold` keeps it open and silent (a camera that never answers).
 */
export async function canary(options: { hold?: boolean } = {}): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
  let count = 0;
  const held = new Set<Socket>();
  const server: Server = createServer((socket) => {
    count++;
    socket.on('error', () => undefined);
    if (options.hold === true) held.add(socket);
    else socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('Expected a TCP address for the canary');
  return {
    port: address.port,
    connections: () => count,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of held) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A DASH manifest whose only segment is on `http://127.0.0.1:port`. */
export function dashManifest(port: number): string {
  return `<?xml version="1.0"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" mediaPresentationDuration="PT2S" minBufferTime="PT1S" profiles="urn:mpeg:dash:profile:isoff-on-demand:2011">
<Period><AdaptationSet mimeType="video/mp4"><Representation id="1" bandwidth="1000" width="320" height="240" codecs="avc1.42c00d">
<BaseURL>http://127.0.0.1:${port}/segment.mp4</BaseURL><SegmentBase indexRange="0-100"/></Representation></AdaptationSet></Period></MPD>
`;
}

/** An HLS playlist whose only segment is a file on this machine. */
export function hlsPlaylist(target: string): string {
  return `#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:2.0,\nfile://${target}\n#EXT-X-ENDLIST\n`;
}
