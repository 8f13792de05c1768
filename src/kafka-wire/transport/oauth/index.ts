export { clientCredentialsTokenProvider, type ClientCredentialsOptions } from './client-credentials.js';
export { staticTokenProvider, type OAuthToken, type OAuthTokenProvider, type OAuthTokenRequest } from './token.js';
