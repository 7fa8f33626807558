/*
 * Reading a directory's names and lstat'ing one entry relative to it, for the ordered listing
 * (ordered_listing.c).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ferry_native.h"

#if defined(__APPLE__)
#define MODIFIED_AT(stats) ((stats).st_mtimespec)
#else
#define MODIFIED_AT(stats) ((stats).st_mtim)
#endif

/* Append one name to the arena; 0 on success, ENOMEM otherwise. */
static int keep_name(FerryNameList *list, const char *name) {
  size_t length = strlen(name) + 1;
  if (list->arena_used + length > list->arena_capacity) {
    size_t capacity = list->arena_capacity == 0 ? 64 * 1024 : list->arena_capacity * 2;
    while (list->arena_used + length > capacity) capacity *= 2;
    char *grown = ferry_kept_grow(list->arena, list->arena_used, capacity);
    if (grown == NULL) return ENOMEM;
    list->arena = grown;
    list->arena_capacity = ferry_kept_capacity(grown);
  }
  memcpy(list->arena + list->arena_used, name, length);
  list->arena_used += length;
  list->count++;
  return 0;
}

int ferry_read_directory_names(const char *path, int *directory_fd, FerryNameList *list) {
  *directory_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (*directory_fd < 0) return errno;
  /* fdopendir owns a duplicate, so directory_fd stays the caller's for fstatat. */
  int listing_fd = dup(*directory_fd);
  DIR *directory = listing_fd < 0 ? NULL : fdopendir(listing_fd);
  int error = 0;
  if (directory == NULL) {
    error = errno;
    if (listing_fd >= 0) close(listing_fd);
  } else {
    for (;;) {
      errno = 0;
      struct dirent *entry = readdir(directory);
      if (entry == NULL) {
        error = errno; /* 0 at the end of the directory */
        break;
      }
      const char *name = entry->d_name;
      if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'))) continue;
      if ((error = keep_name(list, name)) != 0) break;
    }
    closedir(directory);
  }
  if (error == 0) {
    /* The arena is complete (no more reallocs): now the pointers into it are stable. */
    list->names = ferry_kept_alloc((list->count > 0 ? list->count : 1) * sizeof(char *));
    if (list->names == NULL) error = ENOMEM;
  }
  if (error != 0) {
    close(*directory_fd);
    *directory_fd = -1;
    return error;
  }
  char *cursor = list->arena;
  for (size_t index = 0; index < list->count; index++) {
    list->names[index] = cursor;
    cursor += strlen(cursor) + 1;
  }
  return 0;
}

void ferry_free_names(FerryNameList *list) {
  ferry_kept_free(list->arena);
  ferry_kept_free(list->names);
  list->arena = NULL;
  list->names = NULL;
}

void ferry_stat_entry(int directory_fd, const char *name, double *out) {
  struct stat stats;
  if (fstatat(directory_fd, name, &stats, AT_SYMLINK_NOFOLLOW) != 0) {
    out[0] = -1;
    return;
  }
  out[0] = (double)stats.st_mode;
  out[1] = (double)stats.st_size;
  /* The same arithmetic as Node's Stats.mtimeMs. */
  out[2] = (double)MODIFIED_AT(stats).tv_sec * 1e3 + (double)MODIFIED_AT(stats).tv_nsec / 1e6;
  out[3] = (double)stats.st_dev;
  out[4] = (double)stats.st_ino;
}
