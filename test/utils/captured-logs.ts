/** A parsed log line of the service. */
export interface LogLine {
  level: number;
  msg?: string;
  context?: string;
  [field: string]: unknown;
}

let capturing: string[] | undefined;

/**
 * Where every in-process test app writes its log lines (pino's destination): stdout, except while
 * a test that provokes failures on purpose captures them, so that their expected errors neither
 * scroll past between passing tests nor go unchecked.
 */
export const testLogDestination = {
  write(line: string): void {
    if (capturing) {
      capturing.push(line);
    } else {
      process.stdout.write(line);
    }
  },
};

export interface CapturedLogs {
  /** The lines written since the capture began, at `minLevel` (pino's numbers) or above. */
  lines(minLevel?: number): LogLine[];
  release(): void;
}

export function captureLogs(): CapturedLogs {
  const captured: string[] = [];
  capturing = captured;
  return {
    lines: (minLevel = 0) =>
      captured
        .flatMap((chunk) => chunk.split('\n').filter(Boolean))
        .map((line) => JSON.parse(line) as LogLine)
        .filter((line) => line.level >= minLevel),
    release: () => {
      if (capturing === captured) {
        capturing = undefined;
      }
    },
  };
}
