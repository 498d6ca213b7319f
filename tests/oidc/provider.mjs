// A real OpenID Connect provider (oidc-provider) on loopback for jalon's single sign-on
// tests, configured like ProConnect: authorization code flow, `client_secret_post`, the
// `claims` parameter, `acr` values, userinfo signed (`application/jwt`), RP-initiated
// logout, and no PKCE advertised unless asked. Signing in needs no form: the one test user
// is signed in at once (`USER_EMAIL`), with the `acr` of `LOGIN_ACR` (none when empty).
//
// Environment: PORT, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, POST_LOGOUT_REDIRECT_URI,
// USER_EMAIL, LOGIN_ACR, PKCE (`on`: advertised and required; else neither advertised nor
// accepted), ID_TOKEN_TTL (seconds). Prints `ready <issuer>` once it listens.
import crypto from 'node:crypto';
import Provider, { interactionPolicy } from 'oidc-provider';

const env = (name, fallback) => process.env[name] ?? fallback;
const port = Number(env('PORT', '0'));
const issuer = `http://127.0.0.1:${port}`;
const email = env('USER_EMAIL', 'agent@anact.fr');
const loginAcr = env('LOGIN_ACR', 'eidas1');
const pkce = env('PKCE', 'off') === 'on';

const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'test-key', use: 'sig', alg: 'RS256' };

// ProConnect's policy asks for `acr` as an essential claim; this provider signs in without
// checking it, so that jalon's own check is what a missing `acr` meets.
const policy = interactionPolicy.base();
policy.get('login').checks.remove('essential_acr');
policy.get('login').checks.remove('essential_acrs');

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: env('CLIENT_ID', 'jalon'),
      client_secret: env('CLIENT_SECRET', 'secret'),
      redirect_uris: [env('REDIRECT_URI', '')],
      post_logout_redirect_uris: [env('POST_LOGOUT_REDIRECT_URI', '')],
      response_types: ['code'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_post',
      id_token_signed_response_alg: 'RS256',
      userinfo_signed_response_alg: 'RS256',
    },
  ],
  clientAuthMethods: ['client_secret_post'],
  jwks: { keys: [signingKey] },
  acrValues: ['eidas1', 'eidas2'],
  scopes: ['openid', 'email', 'given_name', 'usual_name', 'uid', 'siret', 'idp_id'],
  claims: {
    email: ['email'],
    given_name: ['given_name'],
    usual_name: ['usual_name'],
    uid: ['uid'],
    siret: ['siret'],
    idp_id: ['idp_id'],
  },
  features: {
    devInteractions: { enabled: false },
    claimsParameter: { enabled: true },
    jwtUserinfo: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  pkce: { required: () => pkce },
  ttl: { IdToken: Number(env('ID_TOKEN_TTL', '3600')) },
  interactions: {
    policy,
    url: (ctx, interaction) => `/interaction/${interaction.uid}`,
  },
  async findAccount(ctx, sub) {
    return {
      accountId: sub,
      async claims() {
        return {
          sub,
          email,
          given_name: 'Camille',
          usual_name: 'Agent',
          uid: '42',
          siret: '18003503000011',
          idp_id: 'test-idp',
        };
      },
    };
  },
});

provider.use(async (ctx, next) => {
  if (!pkce && ctx.path === '/auth' && (ctx.query.code_challenge || ctx.query.code_challenge_method)) {
    // ProConnect refuses the parameters it does not list.
    ctx.status = 400;
    ctx.body = 'PKCE is not supported here';
    return;
  }
  const match = ctx.path.match(/^\/interaction\/([^/]+)$/);
  if (!match) {
    await next();
    if (!pkce && ctx.path === '/.well-known/openid-configuration' && ctx.body) {
      delete ctx.body.code_challenge_methods_supported;
    }
    return;
  }
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  const { prompt, params, session } = details;
  let result;
  if (prompt.name === 'login') {
    result = { login: { accountId: `sub-${email}`, ...(loginAcr ? { acr: loginAcr } : {}) } };
  } else {
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
    if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
    result = { consent: { grantId: await grant.save() } };
  }
  const to = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: true });
  ctx.status = 303;
  ctx.redirect(to);
});

const server = provider.listen(port, '127.0.0.1', () => {
  process.stdout.write(`ready ${issuer}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
