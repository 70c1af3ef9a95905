/**
 * Framing of ffmpeg's raw RGB output: stdout bytes are cut into frames whose size and pts come
 * from `showinfo` lines on stderr. The two pipes are read independently, so bytes are held until
 * the line describing their frame has arrived.
 */

/** Size and presentation time of one output frame, from its `showinfo` line. */
export interface FrameMeta {
  readonly pts: number;
  readonly width: number;
  readonly height: number;
}

/** `[Parsed_showinfo_N @ 0x…] [info] n:  12 pts:  6144 pts_time:0.48 … s:320x240 …` */
const SHOWINFO = /\bn:\s*(\d+)\s+pts:\s*(-?\d+)\s+pts_time:(-?[\d.e+-]+).*?\bs:(\d+)x(\d+)/;

/**
 * Reads a `showinfo` frame line; undefined for any other line. With `fps` (the fps filter in the
 * chain) frame n sits at tick n of a 1/fps clock, so pts snaps to that grid exactly.
 *
 * @example
 * parseShowinfoLine('[Parsed_showinfo_1 @ 0x1] n:   3 pts:      3 pts_time:0.3 pos: 1 fmt:rgb24 s:160x120 …', 10)
 * // { pts: 0.3, width: 160, height: 120 }
 */
export function parseShowinfoLine(line: string, fps?: number): FrameMeta | undefined {
  if (!line.includes('showinfo')) return undefined;
  const m = SHOWINFO.exec(line);
  if (m === null) return undefined;
  const ptsTime = Number(m[3]);
  return { pts: fps === undefined ? ptsTime : Math.round(ptsTime * fps) / fps, width: Number(m[4]), height: Number(m[5]) };
}

/**
 * Assembles frames from stdout chunks and frame descriptions, in order.
 *
 * @example
 * const frames = new RawFrameAssembler()
 * frames.addMeta({ pts: 0, width: 2, height: 1 })
 * frames.addChunk(Buffer.alloc(6))
 * frames.drain((meta, data) => console.log(meta.pts, data.length)) // 0 6
 */
export class RawFrameAssembler {
  #metas: FrameMeta[] = [];
  #chunks: Buffer[] = [];
  #chunkOffset = 0;
  #frame: Uint8Array | undefined;
  #meta: FrameMeta | undefined;
  #filled = 0;

  addChunk(chunk: Buffer): void {
    this.#chunks.push(chunk);
  }

  addMeta(meta: FrameMeta): void {
    this.#metas.push(meta);
  }

  /** The frame being filled when the bytes stopped: `{expected, received}` bytes; undefined when none. */
  get partial(): { readonly expected: number; readonly received: number } | undefined {
    return this.#frame === undefined ? undefined : { expected: this.#frame.length, received: this.#filled };
  }

  /** Hands over every frame whose bytes and description are both in; each frame gets its own buffer. */
  drain(emit: (meta: FrameMeta, data: Uint8Array) => void): void {
    for (;;) {
      if (this.#frame === undefined) {
        const meta = this.#chunks.length === 0 ? undefined : this.#metas.shift();
        if (meta === undefined) return;
        this.#meta = meta;
        this.#frame = new Uint8Array(meta.width * meta.height * 3);
        this.#filled = 0;
      }
      const chunk = this.#chunks[0];
      if (chunk === undefined) return;
      const n = Math.min(this.#frame.length - this.#filled, chunk.length - this.#chunkOffset);
      this.#frame.set(chunk.subarray(this.#chunkOffset, this.#chunkOffset + n), this.#filled);
      this.#filled += n;
      this.#chunkOffset += n;
      if (this.#chunkOffset === chunk.length) {
        this.#chunks.shift();
        this.#chunkOffset = 0;
      }
      if (this.#filled === this.#frame.length) {
        const data = this.#frame;
        const meta = this.#meta as FrameMeta;
        this.#frame = undefined;
        this.#meta = undefined;
        emit(meta, data);
      }
    }
  }
}
