// The value a `secure:` config entry gets offline, where the stack's secrets provider cannot
// decrypt it. Kept free of imports so a program's config layer can recognise it cheaply
// (e.g. skip a strength check) without pulling the check engine in. It lives in the pack, which
// must load from policies/ alone (`pulumi policy publish`, `npm ci` there); the check re-exports it.
export const OFFLINE_SECRET_PLACEHOLDER = "[secret: not decryptable offline]";
