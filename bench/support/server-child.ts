/** A server a benchmark runs in a child process of its own. */
export interface Running {
  address: string;
  close(): Promise<void>;
}

/**
 * The child's side of the protocol: start the server `argv[2]` names with the JSON options of
 * `argv[3]`, send `{ ready: <address> }` over IPC, and close and exit on `stop` or when the parent goes.
 */
export async function serveChild<O>(
  starters: Record<string, (options: O) => Promise<Running>>,
): Promise<void> {
  const kind = process.argv[2] ?? '';
  const start = starters[kind];
  if (!start) throw new Error(`unknown server kind ${JSON.stringify(kind)}`);
  const running = await start(JSON.parse(process.argv[3] ?? '{}') as O);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void running.close().finally(() => process.exit(0));
  };
  process.on('message', (message) => message === 'stop' && stop());
  process.on('disconnect', stop);
  process.send!({ ready: running.address });
}
