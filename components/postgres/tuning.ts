// PGTune-style sizing for an OLTP web workload ("web" profile of pgtune.leopard.in.ua), as pure maths.
// Memory is the container's memory limit, not the host's: shared_buffers beyond the cgroup limit
// gets the server OOM-killed.

export type StorageType = "ssd" | "hdd";

export interface TuningArgs {
  /** Memory available to PostgreSQL, MiB (the container limit). At least 256. */
  memoryMiB: number;
  /** CPUs available to PostgreSQL. */
  cpus: number;
  maxConnections: number;
  /** Default "ssd": changes random_page_cost and effective_io_concurrency. */
  storage?: StorageType;
}

export interface PostgresTuning {
  sharedBuffersMiB: number;
  effectiveCacheSizeMiB: number;
  maintenanceWorkMemMiB: number;
  workMemKiB: number;
  walBuffersKiB: number;
  minWalSizeMiB: number;
  maxWalSizeMiB: number;
  checkpointCompletionTarget: number;
  defaultStatisticsTarget: number;
  randomPageCost: number;
  effectiveIoConcurrency: number;
  maxWorkerProcesses: number;
  maxParallelWorkers: number;
  maxParallelWorkersPerGather: number;
  maxParallelMaintenanceWorkers: number;
}

const MAINTENANCE_WORK_MEM_CAP_MIB = 2048;
// WAL buffers beyond one 16 MiB segment bring nothing (PostgreSQL's own auto-tuning cap).
const WAL_BUFFERS_CAP_KIB = 16 * 1024;
const WORK_MEM_FLOOR_KIB = 64;
// PostgreSQL's default; parallel query and extensions draw from the same pool, so never go below it.
const DEFAULT_MAX_WORKER_PROCESSES = 8;

export function computeTuning(args: TuningArgs): PostgresTuning {
  const { memoryMiB, cpus, maxConnections } = args;
  if (!Number.isInteger(memoryMiB) || memoryMiB < 256) throw new RangeError(`memoryMiB must be an integer >= 256, got ${memoryMiB}`);
  if (!Number.isInteger(cpus) || cpus < 1) throw new RangeError(`cpus must be an integer >= 1, got ${cpus}`);
  if (!Number.isInteger(maxConnections) || maxConnections < 1) throw new RangeError(`maxConnections must be an integer >= 1, got ${maxConnections}`);
  const ssd = (args.storage ?? "ssd") === "ssd";

  const sharedBuffersMiB = Math.floor(memoryMiB / 4);
  const maxWorkerProcesses = Math.max(DEFAULT_MAX_WORKER_PROCESSES, cpus);
  const maxParallelWorkersPerGather = Math.min(4, Math.max(1, Math.floor(cpus / 2)));

  // Up to 3 sort/hash nodes per query, each possibly run by every parallel worker of the gather.
  const workMemKiB = Math.max(
    WORK_MEM_FLOOR_KIB,
    Math.floor(((memoryMiB - sharedBuffersMiB) * 1024) / ((maxConnections + maxWorkerProcesses) * 3) / maxParallelWorkersPerGather),
  );

  // 3% of shared_buffers, rounded up to the cap when within 2 MiB of it (as pgtune does).
  let walBuffersKiB = Math.floor((sharedBuffersMiB * 1024 * 3) / 100);
  if (walBuffersKiB > WAL_BUFFERS_CAP_KIB - 2048) walBuffersKiB = WAL_BUFFERS_CAP_KIB;

  return {
    sharedBuffersMiB,
    effectiveCacheSizeMiB: Math.floor((memoryMiB * 3) / 4),
    maintenanceWorkMemMiB: Math.min(MAINTENANCE_WORK_MEM_CAP_MIB, Math.floor(memoryMiB / 16)),
    workMemKiB,
    walBuffersKiB,
    minWalSizeMiB: 1024,
    maxWalSizeMiB: 4096,
    checkpointCompletionTarget: 0.9,
    defaultStatisticsTarget: 100,
    randomPageCost: ssd ? 1.1 : 4,
    effectiveIoConcurrency: ssd ? 200 : 2,
    maxWorkerProcesses,
    maxParallelWorkers: cpus,
    maxParallelWorkersPerGather,
    maxParallelMaintenanceWorkers: maxParallelWorkersPerGather,
  };
}

/** The tuning as postgresql.conf settings (name -> unquoted value with unit). */
export function tuningSettings(t: PostgresTuning): Array<[string, string]> {
  return [
    ["shared_buffers", `${t.sharedBuffersMiB}MB`],
    ["effective_cache_size", `${t.effectiveCacheSizeMiB}MB`],
    ["maintenance_work_mem", `${t.maintenanceWorkMemMiB}MB`],
    ["work_mem", `${t.workMemKiB}kB`],
    ["wal_buffers", `${t.walBuffersKiB}kB`],
    ["min_wal_size", `${t.minWalSizeMiB}MB`],
    ["max_wal_size", `${t.maxWalSizeMiB}MB`],
    ["checkpoint_completion_target", String(t.checkpointCompletionTarget)],
    ["default_statistics_target", String(t.defaultStatisticsTarget)],
    ["random_page_cost", String(t.randomPageCost)],
    ["effective_io_concurrency", String(t.effectiveIoConcurrency)],
    ["max_worker_processes", String(t.maxWorkerProcesses)],
    ["max_parallel_workers", String(t.maxParallelWorkers)],
    ["max_parallel_workers_per_gather", String(t.maxParallelWorkersPerGather)],
    ["max_parallel_maintenance_workers", String(t.maxParallelMaintenanceWorkers)],
  ];
}
