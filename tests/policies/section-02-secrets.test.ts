import { describe, expect, it } from "vitest";
import { RANDOM_BYTES, RANDOM_PASSWORD, RANDOM_PET, RANDOM_STRING, RANDOM_UUID, STACK_REFERENCE } from "../../policies/lib/resource-types";
import { baseline, CONFIG_SECRETS, GENERATED, mutate, setEnv, setSecretFile, stackContext, withResource } from "./baseline";
import { findingsOf, messagesOf } from "./harness";

const ctx = stackContext();
const staging = stackContext({ environment: "staging", stack: "staging" });
const compliant = baseline();
const preview = baseline({ secretsKnown: false });

describe("django-secret-key-strength", () => {
  it("passes with a known 64-character key and with its 64-character generator at preview", async () => {
    expect(await findingsOf("django-secret-key-strength", compliant, ctx)).toEqual([]);
    expect(await findingsOf("django-secret-key-strength", preview, ctx)).toEqual([]);
  });
  it("fails with a startproject key", async () => {
    const insecure = mutate(compliant, "app-web", (p) => setSecretFile(p, "DJANGO_SECRET_KEY", `django-insecure-${GENERATED.djangoSecretKey}`));
    expect(await messagesOf("django-secret-key-strength", insecure, ctx)).toEqual([expect.stringMatching(/django-insecure-/)]);
  });
  it("fails with a key shorter than 50 characters", async () => {
    const short = mutate(compliant, "app-web", (p) => setSecretFile(p, "DJANGO_SECRET_KEY", GENERATED.djangoSecretKey.slice(0, 49)));
    expect(await messagesOf("django-secret-key-strength", short, ctx)).toEqual(['DJANGO_SECRET_KEY of "app-web" has 49 characters, fewer than 50.']);
  });
  it("judges a key given as an env entry the same way", async () => {
    const asEnv = mutate(compliant, "app-web", (p) => {
      setSecretFile(p, "DJANGO_SECRET_KEY", undefined);
      setEnv(p, "DJANGO_SECRET_KEY", GENERATED.djangoSecretKey.slice(0, 49));
    });
    expect(await messagesOf("django-secret-key-strength", asEnv, ctx)).toEqual(['DJANGO_SECRET_KEY of "app-web" has 49 characters, fewer than 50.']);
  });
  it("fails at a first preview when no secret file or env entry carries the key", async () => {
    const none = mutate(preview, "app-web", (p) => setSecretFile(p, "DJANGO_SECRET_KEY", undefined));
    expect(await messagesOf("django-secret-key-strength", none, ctx)).toEqual(['DJANGO_SECRET_KEY is not set in "app-web".']);
  });
  it("cannot decide at a first preview when the unknown key's generator is not traceable", async () => {
    const untraced = preview.map((r) => (r.name === "app-web" ? { ...r, propertyDependencies: {} } : r));
    const findings = await findingsOf("django-secret-key-strength", untraced, ctx);
    expect(findings).toEqual([expect.objectContaining({ level: "advisory", message: expect.stringMatching(/can't run.*DJANGO_SECRET_KEY of "app-web" has no traceable producer/) })]);
  });
  it("fails at preview when the generator is shorter than 50", async () => {
    const weak = mutate(preview, "secrets-django-secret-key", (p) => { p.length = 40; });
    // web and the migrate job have different candidates (the app's or the migration role's password beside it): one finding each.
    expect(await messagesOf("django-secret-key-strength", weak, ctx)).toEqual(expect.arrayContaining([expect.stringMatching(/^DJANGO_SECRET_KEY of "app-web" comes from one of the 3 producers of its uploads that can make it, and none is strong enough: RandomPassword "secrets-django-secret-key" \(40 characters from 81 symbols, 228 bits\): 40 characters, fewer than 50/)]));
  });
  it("fails at preview when a RandomPet, of whatever name, feeds the key", async () => {
    const pet = withResource(mutate(preview, "app-web", (p) => { p.uploads = p.uploads; }).map((r) => (r.name === "app-web" || r.name === "app-migrate"
      ? { ...r, propertyDependencies: { uploads: [...r.propertyDependencies!.uploads!.filter((n) => n !== "secrets-django-secret-key"), "session-words"] } } : r)),
    { type: RANDOM_PET, name: "session-words", props: { length: 4, keepers: { stack: "production" } } });
    const messages = await messagesOf("django-secret-key-strength", pet, ctx);
    expect(messages).toHaveLength(2);
    expect(messages[0]).toMatch(/RandomPet "session-words": RandomPet makes a name, not a secret/);
  });
  it("takes the 32-byte generators for the Fernet keys, so a short one cannot pass as the Django key", async () => {
    const hex = withResource(preview.map((r) => (r.name === "app-web"
      ? { ...r, propertyDependencies: { uploads: [...r.propertyDependencies!.uploads!.filter((n) => n !== "secrets-django-secret-key"), "short-bytes"] } } : r)),
    { type: RANDOM_BYTES, name: "short-bytes", props: { length: 16, keepers: { stack: "production" } } });
    expect(await messagesOf("django-secret-key-strength", hex, ctx)).toEqual([expect.stringMatching(/RandomBytes "short-bytes" \(16 bytes, 128 bits\): 24 characters, fewer than 50/)]);
    expect(await findingsOf("fernet-keys", hex, ctx)).toEqual([]);
  });
});

describe("fernet-keys", () => {
  it("passes with 32-byte URL-safe keys, known or generated", async () => {
    expect(await findingsOf("fernet-keys", compliant, ctx)).toEqual([]);
    expect(await findingsOf("fernet-keys", preview, ctx)).toEqual([]);
  });
  it("fails with a key of 16 bytes", async () => {
    const short = mutate(compliant, "app-web", (p) => setSecretFile(p, "FIELD_ENCRYPTION_KEY", Buffer.alloc(16, 1).toString("base64url")));
    expect(await messagesOf("fernet-keys", short, ctx)).toEqual([expect.stringMatching(/^FIELD_ENCRYPTION_KEY of "app-web" is not 44 characters/)]);
  });
  it("fails with standard base64 (+ and /) that Fernet rejects", async () => {
    const plus = mutate(compliant, "app-web", (p) => setSecretFile(p, "BACKUP_ENCRYPTION_KEY", GENERATED.backupKeyBase64));
    expect(GENERATED.backupKeyBase64).toMatch(/[+/]/);
    expect(await messagesOf("fernet-keys", plus, ctx)).toHaveLength(1);
  });
  it("fails at a first preview when a key's secret file is missing", async () => {
    const none = mutate(preview, "app-web", (p) => setSecretFile(p, "FIELD_ENCRYPTION_KEY", undefined));
    expect(await messagesOf("fernet-keys", none, ctx)).toEqual(['FIELD_ENCRYPTION_KEY is not set in "app-web".']);
  });
  it("fails at preview when a feeding RandomBytes is not 32 bytes", async () => {
    const weak = mutate(preview, "secrets-backup-encryption-key", (p) => { p.length = 16; });
    expect(await messagesOf("fernet-keys", weak, ctx)).toEqual([expect.stringMatching(/need 2 distinct 32-byte keys, but only 1 32-byte generator feeds app-web's uploads \(RandomBytes "secrets-backup-encryption-key" \(16 bytes, 128 bits\): 16 bytes, a Fernet key needs exactly 32\)/)]);
  });
  it("fails at preview when a Fernet key comes from a password generator beside the 32-byte one", async () => {
    const password = withResource(preview.map((r) => (r.name === "app-web"
      ? { ...r, propertyDependencies: { uploads: [...r.propertyDependencies!.uploads!.filter((n) => n !== "secrets-field-encryption-key"), "field-password"] } } : r)),
    { type: RANDOM_PASSWORD, name: "field-password", props: { length: 44, special: false, keepers: { stack: "production" } } });
    expect(await messagesOf("fernet-keys", password, ctx)).toEqual([expect.stringMatching(/need 2 distinct 32-byte keys, but only 1 32-byte generator feeds/)]);
    expect(await findingsOf("strong-generated-passwords", password, ctx)).toEqual([]);
  });
});

describe("strong-generated-passwords", () => {
  it("passes with 40-character generated passwords", async () => {
    expect(await findingsOf("strong-generated-passwords", compliant, ctx)).toEqual([]);
    expect(await findingsOf("strong-generated-passwords", preview, ctx)).toEqual([]);
  });
  it("fails when the PostgreSQL password generator is shorter than 32", async () => {
    const weak = mutate(preview, "secrets-postgres-password", (p) => { p.length = 16; });
    expect(await messagesOf("strong-generated-passwords", weak, ctx)).toEqual([expect.stringMatching(/^env entry #1 \(name unknown at preview\) of "postgres-container" comes from RandomPassword "secrets-postgres-password" \(16 characters from 62 symbols, \d+ bits\): 16 characters, fewer than 32/)]);
  });
  it("fails when a generator draws from digits only", async () => {
    const digits = mutate(preview, "secrets-redis-password", (p) => Object.assign(p, { lower: false, upper: false }));
    expect(await messagesOf("strong-generated-passwords", digits, ctx)).toEqual([expect.stringMatching(/it draws from only 10 symbols, fewer than 36/)]);
  });
  it("fails when a known database password is short", async () => {
    const short = mutate(compliant, "postgres-container", (p) => setEnv(p, "POSTGRES_PASSWORD", "Sh0rtPassw0rd"));
    expect(await messagesOf("strong-generated-passwords", short, ctx)).toEqual([expect.stringMatching(/POSTGRES_PASSWORD of "postgres-container" has 13 characters/)]);
  });
  it("fails when a known password in an app secret file is short", async () => {
    const short = mutate(compliant, "app-web", (p) => setSecretFile(p, "REDIS_PASSWORD", "Sh0rtRedisPass"));
    expect(await messagesOf("strong-generated-passwords", short, ctx)).toEqual([expect.stringMatching(/REDIS_PASSWORD of "app-web" has 14 characters/)]);
  });
  it("blames a weak generator beside strong ones, of any type and name, for the password it feeds", async () => {
    const weak = withResource(preview.map((r) => (r.name === "redis-container"
      ? { ...r, propertyDependencies: { uploads: [...r.propertyDependencies!.uploads!, "exporter-password"] } } : r)),
    { type: RANDOM_STRING, name: "exporter-password", props: { length: 12, special: false, keepers: { stack: "production" } } });
    expect(await messagesOf("strong-generated-passwords", weak, ctx)).toEqual([expect.stringMatching(/^RandomString "exporter-password" \(12 characters from 62 symbols, 71 bits\) feeds redis-container's uploads \(\/usr\/local\/etc\/redis\/users.acl\) and is too weak for any of it: 12 characters, fewer than 32/)]);
  });
  it("refuses identifiers as passwords", async () => {
    const uuid = withResource(preview.map((r) => (r.name === "database-app" ? { ...r, propertyDependencies: { password: ["role-uuid"] } } : r)),
      { type: RANDOM_UUID, name: "role-uuid", props: {} });
    expect(await messagesOf("strong-generated-passwords", uuid, ctx)).toEqual([expect.stringMatching(/^password of "database-app" comes from RandomUuid "role-uuid": RandomUuid makes a name, not a secret/)]);
  });
  it("leaves the Django key's weakness to its own rule", async () => {
    const weak = mutate(preview, "secrets-django-secret-key", (p) => { p.length = 20; });
    expect(await findingsOf("strong-generated-passwords", weak, ctx)).toEqual([]);
    expect(await messagesOf("django-secret-key-strength", weak, ctx)).toHaveLength(2);
  });
});

describe("no-plaintext-secrets", () => {
  it("passes when every known secret traces to a generator or the stack config", async () => {
    expect(await findingsOf("no-plaintext-secrets", compliant, ctx)).toEqual([]);
    expect(await findingsOf("no-plaintext-secrets", preview, ctx)).toEqual([]);
  });
  it("fails on a literal password in a container env, even in staging", async () => {
    const literal = mutate(compliant, "postgres-container", (p) => setEnv(p, "POSTGRES_PASSWORD", "changeme-changeme-changeme-changeme"));
    expect(await messagesOf("no-plaintext-secrets", literal, staging)).toEqual([expect.stringMatching(/env POSTGRES_PASSWORD of "postgres-container" holds a literal secret/)]);
  });
  it("fails on a literal password inside a connection URL", async () => {
    const url = mutate(compliant, "app-web", (p) => setEnv(p, "DATABASE_URL", "postgres://jewelry_app:hunter2hunter2@jewelry-pgbouncer:6432/jewelry_shop"));
    expect(await messagesOf("no-plaintext-secrets", url, ctx)).toEqual([expect.stringMatching(/env DATABASE_URL/)]);
  });
  it("fails on a credential typed into the program, as an env entry or as a secret file", async () => {
    const typed = "sk_live_51TypedIntoTheProgram000000000000";
    const asEnv = mutate(compliant, "app-web", (p) => setEnv(p, "STRIPE_SECRET_KEY", typed));
    expect(await messagesOf("no-plaintext-secrets", asEnv, ctx)).toEqual([expect.stringMatching(/env STRIPE_SECRET_KEY of "app-web" holds a literal secret/)]);
    const asFile = mutate(preview, "app-web", (p) => setSecretFile(p, "STRIPE_SECRET_KEY", typed));
    expect(await messagesOf("no-plaintext-secrets", asFile, ctx)).toEqual([expect.stringMatching(/uploaded file \/run\/secrets\/STRIPE_SECRET_KEY of "app-web"/)]);
  });
  it("accepts a secret file holding the stack config's value", async () => {
    const fromConfig = mutate(compliant, "app-web", (p) => setSecretFile(p, "STRIPE_SECRET_KEY", CONFIG_SECRETS["jewelry-shop:stripeSecretKey"]));
    expect(await findingsOf("no-plaintext-secrets", fromConfig, ctx)).toEqual([]);
  });
  it("fails on a secret file whose content comes from nowhere", async () => {
    const acl = mutate(compliant, "redis-container", (p) => { p.uploads[1].content = "user default off\nuser jewelry on >typed-into-the-program ~* +@all\n"; });
    expect(await messagesOf("no-plaintext-secrets", acl, ctx)).toEqual([expect.stringMatching(/uploaded file \/usr\/local\/etc\/redis\/users.acl/)]);
  });
  it("fails on a literal role password", async () => {
    const role = mutate(compliant, "database-app", (p) => { p.password = "literal-role-password-0000000000000"; });
    expect(await messagesOf("no-plaintext-secrets", role, ctx)).toEqual(['the password of role "database-app" is a literal.']);
  });
});

describe("secrets-per-stack", () => {
  it("passes when generators keep the stack name", async () => {
    expect(await findingsOf("secrets-per-stack", compliant, ctx)).toEqual([]);
  });
  it("fails without keepers", async () => {
    const bare = mutate(compliant, "secrets-app-db-password", (p) => { delete p.keepers; });
    expect(await messagesOf("secrets-per-stack", bare, ctx)).toEqual([expect.stringMatching(/^RandomPassword "secrets-app-db-password" \(.*\): keepers name no stack: add keepers.stack = "production"\./)]);
  });
  it("fails when the keeper names another stack", async () => {
    const copied = withResource(compliant, { type: RANDOM_BYTES, name: "copied", props: { length: 32, keepers: { stack: "staging" } } });
    expect(await messagesOf("secrets-per-stack", copied, ctx)).toEqual([expect.stringMatching(/its keeper names stack "staging", not "production"/)]);
  });
  it("fails when a container takes values from another stack", async () => {
    const shared = withResource(preview.map((r) => (r.name === "app-web" ? { ...r, propertyDependencies: { uploads: [...r.propertyDependencies!.uploads!, "staging-stack"] } } : r)),
      { type: STACK_REFERENCE, name: "staging-stack", props: { name: "organization/jewelry-shop/staging" } });
    expect(await messagesOf("secrets-per-stack", shared, ctx)).toEqual([expect.stringMatching(/"app-web" takes values from StackReference organization\/jewelry-shop\/staging/)]);
  });
});

describe("migration-credentials-confined", () => {
  it("passes when only the migrate job receives the owner's password", async () => {
    expect(await findingsOf("migration-credentials-confined", preview, ctx)).toEqual([]);
  });
  it("fails when web receives the migration role's password, whatever DB_USER says", async () => {
    const leaked = preview.map((r) => (r.name === "app-web" ? { ...r, propertyDependencies: { uploads: [...r.propertyDependencies!.uploads!, "secrets-migration-db-password"] } } : r));
    expect(await messagesOf("migration-credentials-confined", leaked, ctx)).toEqual(['"app-web" receives the password of role jewelry_owner (BYPASSRLS, owns the database) through its uploads: only the migration job may.']);
  });
});
