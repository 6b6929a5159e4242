/**
 * Processes started by `switchyard up` live in their own process group, so a terminal's Ctrl-C reaches
 * only `up`, which stops them in reverse order. The price is that they would outlive an `up` that is
 * killed outright; so each watches the pipe `up` holds on its stdin and stops itself when it closes.
 */
export const supervisedEnv = 'SWITCHYARD_SUPERVISED';

export function stopWithParent(): void {
  if (process.env[supervisedEnv] !== '1') return;
  process.stdin.on('data', () => {});
  process.stdin.once('close', () => process.kill(process.pid, 'SIGTERM'));
  // Watching the pipe must not keep the process alive once its command is done (after a SIGTERM).
  (process.stdin as { unref?: () => void }).unref?.();
}
