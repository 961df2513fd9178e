import * as argon2 from 'argon2';
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { ARGON2_FLOOR } from '../config/environment';

export interface Argon2Parameters {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

export interface Measurement extends Argon2Parameters {
  medianMs: number;
}

const MEMORY_STEPS_KIB = [19456, 47104, 65536, 131072, 262144];
const TIME_STEPS = [2, 3, 4, 6];

// The most memory first (what makes GPU and ASIC attacks expensive, RFC 9106), then the most
// passes; never below OWASP's floor.
export function suggest(measurements: Measurement[], targetMs: number): Measurement | undefined {
  return measurements
    .filter((m) => m.medianMs <= targetMs && m.memoryCost >= ARGON2_FLOOR.memoryCost)
    .filter((m) => m.timeCost >= ARGON2_FLOOR.timeCost)
    .sort((a, b) => b.memoryCost - a.memoryCost || b.timeCost - a.timeCost)[0];
}

async function medianMs(parameters: Argon2Parameters, runs: number): Promise<number> {
  const password = randomBytes(16).toString('base64url');
  const times: number[] = [];
  for (let run = 0; run < runs; run += 1) {
    const started = process.hrtime.bigint();
    await argon2.hash(password, { type: argon2.argon2id, ...parameters });
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  const value = index >= 0 ? Number(process.argv[index + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) {
    throw new Error(`--${name} must be a positive number`);
  }
  return value;
}

export interface CalibrationProgress {
  measured: Measurement;
  /** Steps done so far, out of `total` (the steps a slow step makes pointless count as done). */
  done: number;
  total: number;
}

/** Measures each step of memory, then of passes at that memory, until one exceeds the target. */
export async function measureArgon2(
  targetMs: number,
  runs: number,
  progress: (step: CalibrationProgress) => void,
): Promise<Measurement[]> {
  const total = MEMORY_STEPS_KIB.length * TIME_STEPS.length;
  const measurements: Measurement[] = [];
  for (const [memoryIndex, memoryCost] of MEMORY_STEPS_KIB.entries()) {
    for (const [timeIndex, timeCost] of TIME_STEPS.entries()) {
      const parameters = { memoryCost, timeCost, parallelism: ARGON2_FLOOR.parallelism };
      const measured = { ...parameters, medianMs: await medianMs(parameters, runs) };
      measurements.push(measured);
      // More passes at this memory only get slower; the next memory step may still fit.
      const slow = measured.medianMs > targetMs;
      const done = memoryIndex * TIME_STEPS.length + (slow ? TIME_STEPS.length : timeIndex + 1);
      progress({ measured, done, total });
      if (slow) {
        break;
      }
    }
  }
  return measurements;
}

export const formatMeasurement = (measured: Measurement): string =>
  `${String(measured.memoryCost).padStart(10)}  ${measured.timeCost}  ${measured.medianMs.toFixed(1).padStart(9)}`;

async function main(): Promise<void> {
  const targetMs = option('target-ms', 250);
  const runs = Math.round(option('runs', 5));
  console.log(`npm run calibrate -- --target-ms ${targetMs} --runs ${runs}`);
  console.log(
    `argon2id, p=1, median of ${runs} hashes on this machine (${availableParallelism()} CPUs)`,
  );
  console.log('memory KiB  t  median ms');
  const measurements = await measureArgon2(targetMs, runs, ({ measured }) =>
    console.log(formatMeasurement(measured)),
  );
  const best = suggest(measurements, targetMs);
  if (best) {
    console.log(`\nSuggested for a ${targetMs} ms target (about ${best.medianMs.toFixed(0)} ms):`);
    console.log(
      `ARGON2_MEMORY_KIB=${best.memoryCost} ARGON2_TIME_COST=${best.timeCost} ARGON2_PARALLELISM=${best.parallelism}`,
    );
  } else {
    const floor = measurements[0];
    console.log(
      `\nEven OWASP's floor (m=${floor.memoryCost}, t=${floor.timeCost}) takes ${floor.medianMs.toFixed(0)} ms here,` +
        ` above the ${targetMs} ms target. Keep the floor (the defaults) and add CPU or instances;` +
        ' never go below it.',
    );
  }
  console.log(
    'Each hash runs on one libuv thread; ARGON2_MAX_CONCURRENCY of them at once (default UV_THREADPOOL_SIZE - 1)' +
      ' bounds both CPU and memory (concurrency x ARGON2_MEMORY_KIB).',
  );
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
