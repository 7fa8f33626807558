import { createHook } from 'node:async_hooks';

/** Count the async resources of the given types (e.g. 'SCRYPTREQUEST') created while `work` runs. */
export async function countAsyncResources<T>(types: readonly string[], work: () => Promise<T>): Promise<{ result: T; count: number }> {
  let count = 0;
  const hook = createHook({
    init(_id, type) {
      if (types.includes(type)) count++;
    },
  });
  hook.enable();
  try {
    const result = await work();
    return { result, count };
  } finally {
    hook.disable();
  }
}

/** Count the file-system requests sent to libuv's thread pool while `work` runs. */
export async function countThreadPoolRequests<T>(work: () => Promise<T>): Promise<{ result: T; requests: number }> {
  const { result, count } = await countAsyncResources(['FSREQCALLBACK', 'FSREQPROMISE'], work);
  return { result, requests: count };
}
