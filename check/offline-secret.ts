// The value a `secure:` config entry gets offline, where the stack's secrets provider cannot
// decrypt it. Kept free of imports so a program's config layer can recognise it cheaply
// (e.g. skip a strength check) without pulling the check engine in.
export const OFFLINE_SECRET_PLACEHOLDER = "[secret: not decryptable offline]";
