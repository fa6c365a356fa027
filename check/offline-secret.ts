// The value a `secure:` config entry gets offline (defined in the pack, which judges it too).
export { OFFLINE_SECRET_PLACEHOLDER } from "../policies/lib/offline-secret";
