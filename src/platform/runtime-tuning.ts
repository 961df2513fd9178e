import { setFlagsFromString } from 'node:v8';

// Under load V8 pretenures request-path allocation sites into old space, where the objects still
// die young but only a full mark-compact frees them (docs/performance.md, Measured machinery).
setFlagsFromString('--no-allocation-site-pretenuring');

// Old space grows by a fifth, not up to fourfold, between full collections: 42 MiB instead of 70.
setFlagsFromString('--heap-growing-percent=20');
