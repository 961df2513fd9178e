import { setFlagsFromString } from 'node:v8';

// Measured with bench/ (issue 5): under sustained load V8 decides that allocation sites on the
// request path survive often enough to be allocated straight into old space ("pretenuring").
// Those objects still die young, but only a full mark-compact frees old space, so the heap grew by
// 80-150 MiB of garbage per ten seconds of load. Without pretenuring they die in the cheap
// young-generation collection, and throughput was the same or better.
setFlagsFromString('--no-allocation-site-pretenuring');
