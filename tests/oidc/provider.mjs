// A real OpenID Connect provider (the certified `oidc-provider` package) for OKR Hub's sign-in tests.
// Started by tests/oidc_provider.py on a free loopback port; never for production.
//
// Environment: PORT, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, POST_LOGOUT_REDIRECT_URI.
// Accounts (log in with the id as login, any password, on the provider's development login form):
//   alice    alice@example.org, verified     (an existing OKR Hub account in the tests)
//   newbie   newbie@example.org, verified    (no account: invitation or just-in-time)
//   olga     olga@other.test, verified       (a domain OKR Hub does not accept)
//   ulla     ulla@example.org, NOT verified
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;

const accounts = {
  alice: { email: 'alice@example.org', email_verified: true, given_name: 'Alice', family_name: 'Aas' },
  newbie: { email: 'newbie@example.org', email_verified: true, given_name: 'Nina', family_name: 'Ny' },
  olga: { email: 'olga@other.test', email_verified: true, given_name: 'Olga', family_name: 'Other' },
  ulla: { email: 'ulla@example.org', email_verified: false, given_name: 'Ulla', family_name: 'Uverifisert' },
};

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'test-key', use: 'sig', alg: 'RS256' };

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: process.env.CLIENT_ID,
      client_secret: process.env.CLIENT_SECRET,
      redirect_uris: [process.env.REDIRECT_URI],
      post_logout_redirect_uris: [process.env.POST_LOGOUT_REDIRECT_URI],
      response_types: ['code'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_post',
    },
  ],
  jwks: { keys: [signingKey] },
  cookies: { keys: ['okrhub-test-only-cookie-key'] },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['given_name', 'family_name'],
  },
  // Stricter than the default (PKCE only for public clients): a client that skips PKCE fails the tests.
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  async findAccount(ctx, id) {
    const account = accounts[id];
    if (!account) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...account }; } };
  },
});

provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${issuer}`);
});
