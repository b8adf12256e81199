/** What a new HyperID OAuth2 credential and the HyperID Sign-In node ask for: sign-in plus user data read and write. */
export const DEFAULT_SCOPES = 'openid email user-data-get user-data-set';
