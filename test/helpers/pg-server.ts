import { createServer, connect, type Server, type Socket } from 'node:net';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/** A PostgreSQL server with pgvector on loopback for tests: PGlite behind pglite-socket. */
export interface PgTestServer {
  /** The in-process database behind the socket (for direct inspection). */
  readonly db: PGlite;
  /** `postgres://postgres@127.0.0.1:PORT/postgres` (with `:password` when one was given; PGlite accepts any). */
  readonly url: string;
  /** Stops the socket server and closes the database. */
  stop(): Promise<void>;
}

/**
 * Starts PGlite with pgvector behind `PGLiteSocketServer` on a free loopback port, reached through a
 * small gate that clients connect to. Clients reach it with `pg` as a real server, each on its own
 * pglite-socket connection (`maxConnections` of them at most; pglite-socket's default is 1).
 *
 * Why the gate: PGlite is one session, and pglite-socket queues each protocol *message* on its own,
 * so outside an explicit transaction the Parse/Bind/Execute/Sync messages of two connections
 * interleave, and one connection's unnamed statement or error state lands on the other (seen as
 * "unnamed prepared statement does not exist", and as a client left waiting for good). A real server
 * gives each connection its own session. The gate restores that contract: it lets one connection's
 * batch (its messages up to Sync or a simple Query) through at a time, waits for that connection's
 * ReadyForQuery, and while the answer says a transaction is open it lets only that connection on.
 *
 * @example
 * const pg = await startPgServer({ maxConnections: 16 })
 * const g = await openGallery(pg.url, opts)
 * await pg.stop()
 */
export async function startPgServer(opts: { maxConnections?: number; password?: string } = {}): Promise<PgTestServer> {
  const db = await PGlite.create({ extensions: { vector } });
  const server = new PGLiteSocketServer({
    db,
    port: 0,
    host: '127.0.0.1',
    ...(opts.maxConnections === undefined ? {} : { maxConnections: opts.maxConnections }),
  });
  await server.start();
  const [host, port] = server.getServerConn().split(':') as [string, string];
  const gate = await startGate(host, Number(port));
  const auth = opts.password === undefined ? 'postgres' : `postgres:${opts.password}`;
  return {
    db,
    url: `postgres://${auth}@127.0.0.1:${gate.port}/postgres`,
    async stop() {
      await gate.close();
      await server.stop();
      await db.close();
    },
  };
}

/** SSLRequest / GSSENCRequest codes (PostgreSQL protocol 3.0, "Message Formats"). */
const ENCRYPTION_REQUESTS = new Set([80877103, 80877104]);

interface Conn {
  readonly client: Socket;
  readonly upstream: Socket;
  /** Bytes from the client not yet parsed into whole messages. */
  pending: Buffer;
  /** Messages of the batch being collected (ends at Sync 'S' or simple Query 'Q'). */
  batch: Buffer[];
  started: boolean;
  inFlight: boolean;
  /** Bytes from the upstream not yet parsed (only to find ReadyForQuery). */
  answer: Buffer;
  closed: boolean;
  upstreamClosed: boolean;
}

async function startGate(host: string, port: number): Promise<{ port: number; close(): Promise<void> }> {
  const queue: { conn: Conn; bytes: Buffer }[] = [];
  let owner: Conn | null = null;
  let busy: Conn | null = null;
  const conns = new Set<Conn>();

  const pump = (): void => {
    if (busy !== null) return;
    const i = owner === null ? 0 : queue.findIndex((b) => b.conn === owner);
    const next = i < 0 ? undefined : queue.splice(i, 1)[0];
    if (next === undefined) return;
    busy = next.conn;
    next.conn.inFlight = true;
    next.conn.upstream.write(next.bytes);
  };

  const drop = (conn: Conn): void => {
    if (conn.closed) return;
    conn.closed = true;
    conns.delete(conn);
    for (let i = queue.length - 1; i >= 0; i--) if (queue[i]?.conn === conn) queue.splice(i, 1);
    conn.client.destroy();
    conn.upstream.destroy();
    // pglite-socket rolls back a dead connection's transaction and holds other connections' queries until then.
    const release = (): void => {
      if (owner === conn) owner = null;
      if (busy === conn) busy = null;
      pump();
    };
    if (conn.upstreamClosed) release();
    else conn.upstream.once('close', release);
  };

  const fromClient = (conn: Conn, data: Buffer): void => {
    conn.pending = Buffer.concat([conn.pending, data]);
    for (;;) {
      if (!conn.started) {
        if (conn.pending.length < 8) return;
        const len = conn.pending.readInt32BE(0);
        if (conn.pending.length < len) return;
        const msg = conn.pending.subarray(0, len);
        conn.pending = conn.pending.subarray(len);
        if (len === 8 && ENCRYPTION_REQUESTS.has(msg.readInt32BE(4))) {
          conn.client.write('N');
          continue;
        }
        conn.started = true;
        conn.upstream.write(msg);
        continue;
      }
      if (conn.pending.length < 5) return;
      const len = 1 + conn.pending.readInt32BE(1);
      if (conn.pending.length < len) return;
      const type = String.fromCharCode(conn.pending[0] as number);
      const msg = conn.pending.subarray(0, len);
      conn.pending = conn.pending.subarray(len);
      if (type === 'X') {
        drop(conn);
        return;
      }
      conn.batch.push(msg);
      if (type === 'S' || type === 'Q') {
        queue.push({ conn, bytes: Buffer.concat(conn.batch) });
        conn.batch = [];
        pump();
      }
    }
  };

  const fromUpstream = (conn: Conn, data: Buffer): void => {
    conn.client.write(data);
    conn.answer = Buffer.concat([conn.answer, data]);
    while (conn.answer.length >= 5) {
      const len = 1 + conn.answer.readInt32BE(1);
      if (conn.answer.length < len) return;
      const type = String.fromCharCode(conn.answer[0] as number);
      const status = String.fromCharCode(conn.answer[5] as number);
      conn.answer = conn.answer.subarray(len);
      if (type === 'Z' && conn.inFlight) {
        conn.inFlight = false;
        owner = status === 'I' ? null : conn;
        busy = null;
        pump();
      }
    }
  };

  const server: Server = createServer((client) => {
    const upstream = connect(port, host);
    const conn: Conn = {
      client,
      upstream,
      pending: Buffer.alloc(0),
      batch: [],
      started: false,
      inFlight: false,
      answer: Buffer.alloc(0),
      closed: false,
      upstreamClosed: false,
    };
    conns.add(conn);
    client.on('data', (d: Buffer) => fromClient(conn, d));
    upstream.on('data', (d: Buffer) => fromUpstream(conn, d));
    upstream.on('close', () => (conn.upstreamClosed = true));
    for (const s of [client, upstream]) {
      s.on('error', () => drop(conn));
      s.on('close', () => drop(conn));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('Expected the gate to listen on a TCP port');
  return {
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of [...conns]) drop(c);
        server.close(() => resolve());
      }),
  };
}
