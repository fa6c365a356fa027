// Type tokens of the resources the pack judges, as the engine names them.
export const CONTAINER = "docker:index/container:Container";
export const NETWORK = "docker:index/network:Network";
export const REMOTE_IMAGE = "docker:index/remoteImage:RemoteImage";
export const RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword";
export const RANDOM_BYTES = "random:index/randomBytes:RandomBytes";
export const RANDOM_STRING = "random:index/randomString:RandomString";
export const RANDOM_ID = "random:index/randomId:RandomId";
export const RANDOM_UUID = "random:index/randomUuid:RandomUuid";
export const RANDOM_PET = "random:index/randomPet:RandomPet";
export const RANDOM_INTEGER = "random:index/randomInteger:RandomInteger";
export const RANDOM_SHUFFLE = "random:index/randomShuffle:RandomShuffle";
export const STACK_REFERENCE = "pulumi:pulumi:StackReference";
export const TLS_PRIVATE_KEY = "tls:index/privateKey:PrivateKey";
export const PG_ROLE = "postgresql:index/role:Role";
export const PG_DATABASE = "postgresql:index/database:Database";
export const PG_GRANT_ROLE = "postgresql:index/grantRole:GrantRole";
/** Every Node dynamic resource has this type; the RLS one is recognised by its inputs. */
export const DYNAMIC_RESOURCE = "pulumi-nodejs:dynamic:Resource";
export const PG_GRANT = "postgresql:index/grant:Grant";
export const PG_DEFAULT_PRIVILEGES = "postgresql:index/defaultPrivileges:DefaultPrivileges";
