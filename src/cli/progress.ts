const BAR_WIDTH = 30;

export type Progress = (done: number, total: number, note: string) => void;

/**
 * A bar on stderr when it is a terminal, else plain lines on stderr: stdout keeps the result
 * alone (and with --json, its one JSON document).
 */
export function progressOn(label: string, json: boolean | undefined): Progress {
  const bar = process.stderr.isTTY && !json;
  return (done, total, note) => {
    if (!bar) {
      process.stderr.write(`${label}: ${done}/${total} ${note}\n`);
      return;
    }
    const filled = Math.round((done / total) * BAR_WIDTH);
    const line = `${label} [${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${done}/${total} ${note}`;
    process.stderr.write(`\r${line.padEnd(process.stderr.columns - 1 || line.length)}`);
    if (done === total) {
      process.stderr.write('\n');
    }
  };
}
