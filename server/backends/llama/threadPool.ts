/**
 * Sizes libuv's thread pool before anything uses it. node-llama-cpp runs every batch decode and every
 * sampling step of every llama.cpp context as a task on this pool, and with Node's default of four
 * threads the llama backend's workers wait for one another: on 2 cores, the tiny model went from 72 to
 * 94 scored prompts per second with one worker and from 79 to 127 with two. libuv reads the size once,
 * when the pool first starts, so the CLI and server entry points import this module before anything
 * else; a size the user set is kept. Idle pool threads cost almost nothing.
 */
import { availableParallelism } from 'node:os';

process.env['UV_THREADPOOL_SIZE'] ??= String(Math.min(64, Math.max(16, 2 * availableParallelism())));

export const THREAD_POOL_SIZE = Number(process.env['UV_THREADPOOL_SIZE']);
