// Any other id names no client and is not sent to the database: PostgreSQL refuses a NUL in a
// parameter (a 500).
export const POSSIBLE_CLIENT_ID = /^[A-Za-z0-9_-]{1,64}$/;
