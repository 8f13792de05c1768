// Client identity: JWT verification for routes (issue 18). The upgrade path and the PubSub
// commands use it through this face only.
export { ALGORITHMS, type JwsAlgorithm } from './algorithms.js';
export { jwtConfigOf, JWT_DEFAULTS, type JwksSource, type JwtConfig } from './config.js';
export { TOKEN_ERROR_REASONS, TokenError, type TokenErrorReason } from './errors.js';
export type { JwksEvent } from './jwks.js';
export type { JsonRecord } from './json-segment.js';
export { createVerifier, type JwtVerifier, type VerifiedToken, type VerifierOptions } from './verifier.js';
