/** RFC 6749 allows small clock differences between issuer and verifier; RFC 9068 peers use 30 s too. */
export const CLOCK_SKEW_SECONDS = 30;
