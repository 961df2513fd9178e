if (!process.env.TEST_DATABASE_URL) {
  throw new Error('The e2e-postgres project needs TEST_DATABASE_URL');
}
process.env.E2E_DATABASE = 'postgres';
