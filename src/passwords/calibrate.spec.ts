import { Measurement, suggest } from './calibrate';

const measured = (memoryCost: number, timeCost: number, medianMs: number): Measurement => ({
  memoryCost,
  timeCost,
  parallelism: 1,
  medianMs,
});

describe('suggest', () => {
  const measurements = [
    measured(19456, 2, 40),
    measured(19456, 3, 60),
    measured(47104, 2, 110),
    measured(47104, 3, 160),
    measured(65536, 2, 300),
  ];

  it('prefers the most memory, then the most passes, within the target', () => {
    expect(suggest(measurements, 250)).toMatchObject({ memoryCost: 47104, timeCost: 3 });
  });

  it('suggests nothing when even the OWASP floor is slower than the target', () => {
    expect(suggest(measurements, 30)).toBeUndefined();
  });

  it('never suggests a set below the OWASP floor, however fast', () => {
    expect(suggest([measured(8192, 2, 5), measured(19456, 1, 10)], 250)).toBeUndefined();
  });
});
