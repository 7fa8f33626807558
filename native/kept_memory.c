/*
 * Memory blocks kept from one listing for the next.
 *
 * Why: a listing of 10,000 names uses about 1 MB of buffers (the names, two arrays of pointers,
 * the sort's scratch, the names joined for JavaScript). malloc hands blocks that big out as fresh
 * mappings and gives them back to the system on free, so every listing touched new pages, and on a
 * virtual machine a page's first touch is expensive: measured on the 2-vCPU benchmark VM, ~15-20
 * µs per 4 KiB page, 1.5-3 ms of a 5.7 ms openListing (with the blocks kept: 2.2 ms, steady).
 * Blocks given back here are kept (at most KEPT_BLOCKS of them, KEPT_BYTES_MAX bytes in all) and
 * handed out again; beyond that they go back to malloc. Used by the pool threads and the event
 * loop alike, hence the lock.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ferry_native.h"

/* In front of every block: its usable size. 16 bytes keep the block aligned for any type. */
typedef struct {
  size_t capacity;
  size_t unused;
} BlockHeader;

/* Smaller blocks come from malloc's own free lists anyway: they are not worth keeping. */
#define SMALLEST_KEPT_BLOCK ((size_t)64 * 1024)
#define KEPT_BLOCKS 16
#define KEPT_BYTES_MAX ((size_t)8 * 1024 * 1024)

static pthread_mutex_t kept_lock = PTHREAD_MUTEX_INITIALIZER;
static BlockHeader *kept[KEPT_BLOCKS];
static size_t kept_count = 0;
static size_t kept_bytes = 0;

/* Blocks are sized in powers of two, so one listing's blocks fit the next one of a similar size. */
static size_t block_size_for(size_t size) {
  size_t capacity = 4096;
  while (capacity < size) capacity *= 2;
  return capacity;
}

void *ferry_kept_alloc(size_t size) {
  BlockHeader *block = NULL;
  pthread_mutex_lock(&kept_lock);
  size_t best = KEPT_BLOCKS;
  for (size_t index = 0; index < kept_count; index++) {
    if (kept[index]->capacity >= size && (best == KEPT_BLOCKS || kept[index]->capacity < kept[best]->capacity)) best = index;
  }
  if (best != KEPT_BLOCKS) {
    block = kept[best];
    kept[best] = kept[--kept_count];
    kept_bytes -= block->capacity;
  }
  pthread_mutex_unlock(&kept_lock);
  if (block == NULL) {
    size_t capacity = block_size_for(size);
    block = malloc(sizeof(BlockHeader) + capacity);
    if (block == NULL) return NULL;
    block->capacity = capacity;
  }
  return block + 1;
}

void ferry_kept_free(void *memory) {
  if (memory == NULL) return;
  BlockHeader *block = (BlockHeader *)memory - 1;
  int is_kept = 0;
  if (block->capacity >= SMALLEST_KEPT_BLOCK) {
    pthread_mutex_lock(&kept_lock);
    if (kept_count < KEPT_BLOCKS && kept_bytes + block->capacity <= KEPT_BYTES_MAX) {
      kept[kept_count++] = block;
      kept_bytes += block->capacity;
      is_kept = 1;
    }
    pthread_mutex_unlock(&kept_lock);
  }
  if (!is_kept) free(block);
}

void *ferry_kept_grow(void *memory, size_t used, size_t size) {
  if (memory != NULL && ((BlockHeader *)memory - 1)->capacity >= size) return memory;
  void *grown = ferry_kept_alloc(size);
  if (grown == NULL) return NULL;
  if (memory != NULL) memcpy(grown, memory, used);
  ferry_kept_free(memory);
  return grown;
}

size_t ferry_kept_capacity(const void *memory) {
  return ((const BlockHeader *)memory - 1)->capacity;
}
