import type { Client, ClientConfig } from 'pg';
import { loadPg } from '../driver.js';
import { decodePgOutput, formatLsn, msToPgTime, type Lsn, type PgOutputMessage } from './pgoutput.js';

/** The parts of node-postgres's connection this uses (not in its typings): copy-both needs them. */
interface WireConnection {
  on(event: 'copyData', listener: (message: { chunk: Buffer }) => void): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
  stream: { pause(): void; resume(): void };
}

export interface StreamHandlers {
  /** A decoded pgoutput message; `walStart` is the WAL position of its record. */
  onMessage(message: PgOutputMessage, walStart: Lsn): void;
  /** The server's keepalive: its WAL end, and whether it wants a status update now. */
  onKeepalive(walEnd: Lsn, replyRequested: boolean): void;
}

/**
 * A logical replication connection (`replication=database`) driven through node-postgres: the
 * walsender's commands run as simple queries, and `START_REPLICATION` switches the connection to the
 * copy-both sub-protocol, whose CopyData frames node-postgres hands over as `copyData` events and
 * whose replies are sent with `sendCopyFromChunk`. Flow control is TCP's: pausing the socket stops the
 * walsender once the buffers fill.
 */
export class ReplicationConnection {
  private constructor(
    private readonly client: Client,
    private readonly wire: WireConnection,
  ) {}

  static async open(config: ClientConfig): Promise<ReplicationConnection> {
    const pg = await loadPg();
    const client = new pg.Client({
      ...config,
      replication: 'database',
      application_name: 'switchyard-outbox-log-tailing',
    } as ClientConfig);
    client.on('error', () => {
      // surfaced through the streaming query's rejection
    });
    await client.connect();
    return new ReplicationConnection(
      client,
      (client as unknown as { connection: WireConnection }).connection,
    );
  }

  /**
   * Creates the slot and returns the snapshot it exported: valid only until this connection runs
   * its next command, it shows exactly what committed before the slot's first streamed transaction.
   */
  async createSlot(slot: string): Promise<{ consistentPoint: string; snapshot: string }> {
    const result = await this.client.query(
      `CREATE_REPLICATION_SLOT "${slot}" LOGICAL pgoutput EXPORT_SNAPSHOT`,
    );
    const row = result.rows[0] as { consistent_point: string; snapshot_name: string };
    return { consistentPoint: row.consistent_point, snapshot: row.snapshot_name };
  }

  /** Streams until `stop()` or an error; resolves when the server ended the stream. */
  stream(options: { slot: string; publication: string; from: Lsn }, handlers: StreamHandlers): Promise<void> {
    this.wire.on('copyData', ({ chunk }) => {
      const kind = chunk[0];
      if (kind === 0x77 /* w: XLogData */) {
        const walStart = chunk.readBigUInt64BE(1);
        handlers.onMessage(decodePgOutput(chunk.subarray(25)), walStart);
      } else if (kind === 0x6b /* k: primary keepalive */) {
        handlers.onKeepalive(chunk.readBigUInt64BE(1), chunk[17] === 1);
      }
    });
    const sql =
      `START_REPLICATION SLOT "${options.slot}" LOGICAL ${formatLsn(options.from)} ` +
      `(proto_version '1', publication_names '${options.publication}')`;
    return this.client.query(sql).then(() => undefined);
  }

  /**
   * Standby status update: everything up to `lsn` is written, flushed and applied, so the server may
   * advance the slot's confirmed position there and recycle the WAL before it.
   */
  acknowledge(lsn: Lsn, replyRequested = false): void {
    const message = Buffer.alloc(34);
    message.write('r', 0);
    message.writeBigUInt64BE(lsn, 1);
    message.writeBigUInt64BE(lsn, 9);
    message.writeBigUInt64BE(lsn, 17);
    message.writeBigUInt64BE(msToPgTime(Date.now()), 25);
    message.writeUInt8(replyRequested ? 1 : 0, 33);
    this.wire.sendCopyFromChunk(message);
  }

  pause(): void {
    this.wire.stream.pause();
  }

  resume(): void {
    this.wire.stream.resume();
  }

  /** Ends the stream (CopyDone) and the connection. */
  async close(): Promise<void> {
    try {
      this.wire.endCopyFrom();
    } catch {
      // not streaming, or already gone
    }
    this.resume();
    await this.client.end().catch(() => {});
  }
}
