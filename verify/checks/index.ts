// Every check, in the order a run makes them: the public ones first (the rate-limit burst after the
// pages whose requests it accounts for, the headers after the burst whose 429 they read), then the
// inside ones through the Docker host.
import type { Check } from "./context";
import { backups, restoreDrill } from "./inside/backups";
import { celeryWorkers } from "./inside/celery";
import { containers } from "./inside/containers";
import { rowLevelSecurity, walArchiving } from "./inside/database";
import { alertmanager, prometheus } from "./inside/monitoring";
import { redisAuth } from "./inside/redis";
import { csrf, login } from "./outside/app-security";
import { securityHeaders } from "./outside/headers";
import { dns, ports } from "./outside/network";
import { rateLimit } from "./outside/rate-limit";
import { certificate, tlsServed } from "./outside/tls";
import { admin, health, httpRedirect, https } from "./outside/web";

export const CHECKS: readonly Check[] = [
  https, httpRedirect, health, admin, csrf, login, tlsServed, certificate, rateLimit, securityHeaders, ports, dns,
  containers, rowLevelSecurity, redisAuth, backups, walArchiving, restoreDrill, prometheus, alertmanager, celeryWorkers,
];
