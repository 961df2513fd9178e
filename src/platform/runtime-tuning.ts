import { setFlagsFromString } from 'node:v8';

// Measured with bench/ (issue 5): under sustained load V8 decides that allocation sites on the
// request path survive often enough to be allocated straight into old space ("pretenuring").
// Those objects still die young, but only a full mark-compact frees old space, so the heap grew by
// 80-150 MiB of garbage per ten seconds of load. Without pretenuring they die in the cheap
// young-generation collection, and throughput was the same or better.
setFlagsFromString('--no-allocation-site-pretenuring');

// Requests still promote some short-lived objects to old space. By default V8 lets old space grow
// up to fourfold between full collections when they look cheap, which after the bench's load held
// 70 MiB (34 of them live); growing by a fifth kept it at 42 for the same rates (issue 5).
setFlagsFromString('--heap-growing-percent=20');
