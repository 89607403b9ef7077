// The Azure Key Vault quickstart app for Node.js, unchanged: it reads KEY_VAULT_NAME, builds the
// vault URL and uses DefaultAzureCredential, so the same code runs against Azure and Coffer.
// Against Coffer set VAULT_URL (https://<vault>.vault.localhost:8200) or KEY_VAULT_NAME plus
// KEY_VAULT_DOMAIN, and the AZURE_* / NODE_EXTRA_CA_CERTS variables `coffer server --dev-tls`
// prints; with `coffer run --identity APP -- node index.js` no credential is needed at all.
const { DefaultAzureCredential } = require('@azure/identity');
const { SecretClient } = require('@azure/keyvault-secrets');

async function main() {
  const vaultName = process.env.KEY_VAULT_NAME;
  const domain = process.env.KEY_VAULT_DOMAIN || 'vault.azure.net';
  const url = process.env.VAULT_URL || `https://${vaultName}.${domain}`;

  const credential = new DefaultAzureCredential();
  const client = new SecretClient(url, credential);

  const secretName = process.env.SECRET_NAME || 'mySecret';
  const secret = await client.getSecret(secretName);
  console.log(`Your secret "${secretName}" has ${secret.value.length} characters (version ${secret.properties.version}).`);
}

main().catch((error) => {
  console.error('An error occurred:', error.message);
  process.exit(1);
});
