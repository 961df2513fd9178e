'use strict';
// The second process of scenario 3: floods the password grant while bench/run.js measures
// GET /users/me. Options arrive as one JSON argument; the autocannon result goes to stdout.
const autocannon = require('autocannon');

const options = JSON.parse(process.argv[2]);
const instance = autocannon(options, (error, result) => {
  if (error) {
    process.stderr.write(`flood: ${error.message}\n`);
    process.exit(1);
  }
  process.stdout.write(
    JSON.stringify({ rps: result['2xx'] / result.duration, non2xx: result.non2xx }),
  );
});
process.once('SIGTERM', () => instance.stop());
