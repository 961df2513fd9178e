import { readdirSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { getPriority, setPriority } from 'node:os';

/**
 * Lowers the CPU priority of every thread of this process except the event loop's by `levels` nice
 * levels (relative to the event loop's own, so a process already started under `nice` keeps the
 * gap, down to nice 19, the lowest there is), and returns how many threads it lowered and to which
 * nice value. On Linux the nice value belongs to each thread (setpriority(2), "BUGS"), and
 * os.setPriority passes the id straight to it, so a thread id from /proc/self/task names exactly
 * that thread. Elsewhere there is no /proc/self/task, and nothing changes.
 *
 * Why (issue 5): argon2 keeps libuv's pool threads busy for tens of milliseconds per login, on the
 * same cores as the event loop. At equal priority a login flood took most of the CPU from the loop,
 * and every protected request queued behind it. With the pool below the loop, the loop takes the
 * CPU whenever it has a request to serve, and hashing gets the rest.
 *
 * Threads created later inherit the priority of the thread that creates them, and libuv creates
 * its whole pool on the first piece of work it is given, from the event loop. So the pool is
 * started here first: a start-up does not always give it work (on PostgreSQL, with the bootstrap
 * admin already there, nothing hashes and nothing reads a file through the pool), and the pool
 * created at the first login would otherwise hash at the event loop's priority.
 */
export async function lowerWorkerThreadPriority(
  levels: number,
): Promise<{ lowered: number; nice: number }> {
  const nice = Math.min(19, getPriority(process.pid) + levels);
  if (levels === 0) {
    return { lowered: 0, nice };
  }
  // Any work handed to the pool starts all of its threads.
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
