import { readdirSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { getPriority, setPriority } from 'node:os';

// So that argon2 in libuv's pool yields the CPU to requests (docs/performance.md, Measured
// machinery). Linux only: the nice value is per thread there (setpriority(2), "BUGS").
export async function lowerWorkerThreadPriority(
  levels: number,
): Promise<{ lowered: number; nice: number }> {
  const nice = Math.min(19, getPriority(process.pid) + levels);
  if (levels === 0) {
    return { lowered: 0, nice };
  }
  // libuv creates its whole pool on its first job and threads inherit their creator's priority:
  // started later, at the first login, the pool would hash at the event loop's priority.
  await access(__filename);
  let threadIds: number[];
  try {
    threadIds = readdirSync('/proc/self/task').map(Number);
  } catch {
    return { lowered: 0, nice };
  }
  let lowered = 0;
  for (const threadId of threadIds) {
    if (threadId === process.pid) {
      continue;
    }
    try {
      setPriority(threadId, nice);
      lowered += 1;
    } catch {
      // The thread ended between the listing and the call (lowering a priority needs no privilege).
    }
  }
  return { lowered, nice };
}
