export { enqueuePeople, type EnqueueSummary } from './enqueue-people.js';
export {
  assertRedisUrl,
  connectRedis,
  ENROL_JOB_VERSION,
  ENROL_QUEUE_DEFAULTS,
  enrolJobId,
  enrolJobOptions,
  enrolKeys,
  type EnrolJobData,
} from './enrol-queue.js';
export { ENROL_WORKER_DEFAULTS, startEnrolWorker, type EnrolWorker, type EnrolWorkerOptions, type WorkerEvent } from './enrol-worker.js';
export { readQueueStatus, retryDeadLetters, type BatchStatus, type DeadLetter, type QueueStatus } from './queue-status.js';
