// The "Managing Secrets in Node.js with HashiCorp Vault" tutorial app, unchanged except that
// it points at Coffer. It logs in with AppRole (no long-lived credential in the code: the
// role id and a secret id come from the environment, delivered by your deployment), reads
// the database credentials, and shows that it cannot delete them.
//
//   VAULT_ADDR=http://127.0.0.1:8200 ROLE_ID=... SECRET_ID=... node index.js
const vault = require('node-vault')({
  apiVersion: 'v1',
  endpoint: process.env.VAULT_ADDR || 'http://127.0.0.1:8200',
});

const roleId = process.env.ROLE_ID;
const secretId = process.env.SECRET_ID;

const run = async () => {
  const result = await vault.approleLogin({ role_id: roleId, secret_id: secretId });
  vault.token = result.auth.client_token; // Add token to vault object for subsequent requests.

  const { data } = await vault.read('secret/data/mysql/webapp'); // Retrieve the secret stored in previous steps.

  const databaseName = data.data.db_name;
  const username = data.data.username;
  const password = data.data.password;

  console.log({ databaseName, username, password: password ? '(received)' : '(missing)' });

  console.log('Attempt to delete the secret');
  try {
    await vault.delete('secret/data/mysql/webapp'); // This attempt will fail: the AppRole has read-only rights.
  } catch (err) {
    console.log(`Refused as expected: ${err.response ? err.response.statusCode : ''} ${err.message.trim().split('\n').pop().trim()}`);
  }
};

run().catch((err) => {
  console.error(`Error: ${err.message}`);
  process.exit(1);
});
