import type { OutgoingMessage } from '../../../messaging/adapter.js';
import type { PgNames } from '../schema.js';
import { byteaFromText, type Lsn, type PgOutputMessage, type Relation } from './pgoutput.js';

export interface StreamedRow {
  readonly id: string;
  readonly message: OutgoingMessage;
}

/** The outbox rows one transaction inserted, complete once its commit arrived. */
export interface StreamedTransaction {
  readonly rows: StreamedRow[];
  /** Acknowledging this position tells the server the transaction was handled. */
  readonly endLsn: Lsn;
  readonly commitTimeMs: number;
}

const columns = ['id', 'channel', 'partition', 'message_id', 'headers', 'body'] as const;

/**
 * Turns the pgoutput stream into committed transactions of outbox rows. Relations are described
 * before their first row in each session (and again when they change), so column positions are
 * looked up by name and never assumed.
 */
export class TransactionAssembler {
  private readonly outboxRelations = new Map<number, Record<(typeof columns)[number], number>>();
  private open: { rows: StreamedRow[] } | undefined;

  constructor(
    private readonly names: PgNames,
    private readonly onCommit: (tx: StreamedTransaction) => void,
  ) {}

  /** True between a transaction's begin and commit. */
  get inTransaction(): boolean {
    return this.open !== undefined;
  }

  push(message: PgOutputMessage): void {
    switch (message.type) {
      case 'relation':
        this.describe(message.relation);
        return;
      case 'begin':
        this.open = { rows: [] };
        return;
      case 'insert': {
        const at = this.outboxRelations.get(message.relationId);
        if (at && this.open) this.open.rows.push(rowOf(message.values, at));
        return;
      }
      case 'commit': {
        const rows = this.open?.rows ?? [];
        this.open = undefined;
        this.onCommit({ rows, endLsn: message.endLsn, commitTimeMs: message.commitTimeMs });
        return;
      }
      default:
        return;
    }
  }

  private describe(relation: Relation): void {
    if (relation.schema !== this.names.schema || relation.name !== 'sy_outbox') {
      this.outboxRelations.delete(relation.id);
      return;
    }
    const at = Object.fromEntries(columns.map((c) => [c, relation.columns.indexOf(c)])) as Record<
      (typeof columns)[number],
      number
    >;
    if (Object.values(at).some((i) => i < 0))
      throw new Error(`the outbox table ${relation.schema}.${relation.name} lacks a column the relay needs`);
    this.outboxRelations.set(relation.id, at);
  }
}

function rowOf(
  values: readonly (string | null | undefined)[],
  at: Record<(typeof columns)[number], number>,
): StreamedRow {
  const text = (column: (typeof columns)[number]) => {
    const value = values[at[column]];
    if (typeof value !== 'string') throw new Error(`outbox column ${column} arrived without a value`);
    return value;
  };
  return {
    id: text('id'),
    message: {
      channel: text('channel'),
      partition: Number(text('partition')),
      id: text('message_id'),
      headers: JSON.parse(text('headers')) as Record<string, string>,
      body: byteaFromText(text('body')),
    },
  };
}
