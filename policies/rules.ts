// Every checklist rule of the pack, in report order. To add a section: write
// section-NN-<topic>.ts exporting rules built with resourcePolicy()/stackPolicy() (lib/framework.ts)
// and append them here; map their checklist ids in traceability-later.ts / traceability.ts.
import type { ChecklistPolicy } from "./lib/framework";
import {
  djangoAllowedHostsSet, djangoDebugOff, djangoSettingsModuleProduction, requiredAppEnvVars, siteUrlHttps,
} from "./section-01-environment";
import {
  djangoSecretKeyStrength, fernetKeys, migrationCredentialsConfined, noPlaintextSecrets, secretsPerStack, strongGeneratedPasswords,
} from "./section-02-secrets";
import {
  appDatabaseDeclared, appRoleLeastPrivilege, pgbouncerInPath, postgresConfigHardened, postgresVersion15Plus, rlsOnTenantTables, usePgbouncerSetting,
} from "./section-03-database";
import { redisAuthRequired, redisMaxmemoryPolicy, redisPersistence, redisVersion7Plus } from "./section-04-redis";
import {
  containerHardening, healthcheckConfigured, imagePinned, networkIsolation, noPublicPorts, nonRootUser, persistentVolumes,
  resourceLimits, restartPolicy,
} from "./section-11-docker";
import { section05Policies } from "./section-05-email";
import { section06Policies } from "./section-06-storage";
import { section08Policies } from "./section-08-monitoring";
import { section09Policies } from "./section-09-tls";
import { section10Policies } from "./section-10-security";
import { section12Policies } from "./section-12-application";
import { section13Policies } from "./section-13-backups";
import { section14Policies } from "./section-14-performance";

export const checklistRules: readonly ChecklistPolicy[] = [
  // 1 Environment Configuration
  requiredAppEnvVars,
  djangoSettingsModuleProduction,
  djangoDebugOff,
  djangoAllowedHostsSet,
  siteUrlHttps,
  // 2 Secrets and Keys
  djangoSecretKeyStrength,
  fernetKeys,
  strongGeneratedPasswords,
  noPlaintextSecrets,
  secretsPerStack,
  migrationCredentialsConfined,
  // 3 Database Configuration
  postgresVersion15Plus,
  postgresConfigHardened,
  appDatabaseDeclared,
  appRoleLeastPrivilege,
  rlsOnTenantTables,
  pgbouncerInPath,
  usePgbouncerSetting,
  // 4 Redis Configuration
  redisVersion7Plus,
  redisAuthRequired,
  redisPersistence,
  redisMaxmemoryPolicy,
  // 11 Docker Configuration
  imagePinned,
  nonRootUser,
  healthcheckConfigured,
  resourceLimits,
  restartPolicy,
  persistentVolumes,
  networkIsolation,
  noPublicPorts,
  containerHardening,
  // 5, 6, 8, 9, 10, 12, 13, 14
  ...section05Policies,
  ...section06Policies,
  ...section08Policies,
  ...section09Policies,
  ...section10Policies,
  ...section12Policies,
  ...section13Policies,
  ...section14Policies,
];
