// Two threads each loop: pwrite 4 KiB into their own half of one preallocated, synced file, then fdatasync.
// For every slow sync (> 10 ms) of one thread: did the other thread START a sync after it began and FINISH
// before it ended (so a second sync in flight would have acknowledged earlier)? Prints counts and time saved.
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#define MAXS 400000
static int fd; static double endt; static long size = 64L << 20;
static double st[2][MAXS], en[2][MAXS]; static int n[2];
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
static void *loop(void *arg) {
  int t = (int)(long)arg; char buf[4096]; memset(buf, 'y', sizeof buf);
  long half = size / 2, pos = t * half;
  while (now() < endt && n[t] < MAXS) {
    pwrite(fd, buf, sizeof buf, pos); pos += 4096; if (pos >= (t + 1) * half) pos = t * half;
    double s = now(); fdatasync(fd); double e = now();
    st[t][n[t]] = s; en[t][n[t]] = e; n[t]++;
  }
  return 0;
}
int main(int argc, char **argv) {
  int threads = atoi(argv[1]); double secs = atof(argv[2]);
  fd = open(argv[3], O_RDWR | O_CREAT | O_TRUNC, 0644);
  char *z = calloc(1, 1 << 20); for (long p = 0; p < size; p += 1 << 20) pwrite(fd, z, 1 << 20, p); fsync(fd);
  endt = now() + secs; pthread_t th[2];
  for (long i = 0; i < threads; i++) pthread_create(&th[i], 0, loop, (void *)i);
  for (int i = 0; i < threads; i++) pthread_join(th[i], 0);
  int slow = 0, over = 0; double saved[MAXS]; int ns = 0; int total = 0;
  for (int a = 0; a < threads; a++) {
    total += n[a];
    for (int i = 0; i < n[a]; i++) {
      double s = st[a][i], e = en[a][i];
      if (e - s <= 0.010) continue;
      slow++;
      if (threads < 2) continue;
      int b = 1 - a; double best = 1e9;
      for (int j = 0; j < n[b]; j++) if (st[b][j] > s && en[b][j] < e && en[b][j] < best) best = en[b][j];
      if (best < 1e9) { over++; saved[ns++] = (e - best) * 1000; }
    }
  }
  double sum = 0, mx = 0; for (int i = 0; i < ns; i++) { sum += saved[i]; if (saved[i] > mx) mx = saved[i]; }
  printf("threads=%d syncs=%d slow(>10ms)=%d overtaken_by_a_later_sync=%d time_saved_ms(mean/max)=%.1f/%.1f\n",
         threads, total, slow, over, ns ? sum / ns : 0, mx);
  unlink(argv[3]); return 0;
}
