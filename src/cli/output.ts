type Cell = string | number | boolean | null | undefined;

/** One JSON document on stdout, for scripts. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printLine(text: string): void {
  process.stdout.write(`${text}\n`);
}

const cellText = (cell: Cell): string => (cell === null || cell === undefined ? '-' : String(cell));

/** Aligned columns for people; `columns` names the fields shown, in order. */
export function printTable<Row extends object>(rows: Row[], columns: (keyof Row & string)[]): void {
  if (rows.length === 0) {
    printLine('(none)');
    return;
  }
  const cells = [
    columns,
    ...rows.map((row) => columns.map((column) => cellText(row[column] as Cell))),
  ];
  const widths = columns.map((_column, index) =>
    Math.max(...cells.map((line) => line[index].length)),
  );
  for (const line of cells) {
    printLine(
      line
        .map((cell, index) => cell.padEnd(widths[index]))
        .join('  ')
        .trimEnd(),
    );
  }
}

/** One record as `field: value` lines. */
export function printRecord(record: Record<string, Cell | Cell[]>): void {
  const width = Math.max(...Object.keys(record).map((field) => field.length));
  for (const [field, value] of Object.entries(record)) {
    const text = Array.isArray(value) ? value.map(cellText).join(' ') : cellText(value);
    printLine(`${`${field}:`.padEnd(width + 1)} ${text}`);
  }
}

/** The same result as JSON or for people. */
export function report(json: boolean | undefined, value: unknown, forPeople: () => void): void {
  if (json) {
    printJson(value);
  } else {
    forPeople();
  }
}
