// pipe.c's group commit (1 sync thread, RATE records/s of REC bytes) with a zero-fill thread like PartitionLog's:
// mode 0: file fully zeroed before the run; 1: fill ahead (keep AHEAD zeroed past the write position, refill when
// less than AHEAD/2 is left) with O_DIRECT chunks of CHUNK, then fdatasync, then read back; 2: no fill (growing file);
// 3: like 1 but sleep PACE_US between chunks; 4: like 1 but buffered zeros. MINGAP_US: at most one sync per MINGAP.
// ./fill <mode> <seconds> <file> [CHUNK AHEAD PACE_US REC MINGAP_US]; run beside ./burn <threads> <busy_us> <sleep_us>
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#define RATE 10000
static int fd, dfd, mode; static long MINGAP_US = 0; static double lastsync; static long REC = 300, CHUNK = 1 << 20, AHEAD = 8 << 20, PACE_US = 0;
static double t0; static long total;
static double *ack; static long written, acked, pos; static long syncs, slow, fills;
static volatile long zeroed;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
static volatile int done;
static void *filler(void *arg) {
  char *z; posix_memalign((void **)&z, 4096, CHUNK); memset(z, 0, CHUNK);
  char *sink = malloc(CHUNK);
  while (!done) {
    long p = pos;
    if (zeroed - p >= AHEAD / 2) { struct timespec d = {0, 200000}; nanosleep(&d, 0); continue; }
    long to = (p + AHEAD) / 4096 * 4096, from = zeroed;
    int out = mode == 4 ? fd : dfd;
    for (long at = from; at < to; at += CHUNK) {
      pwrite(out, z, CHUNK, at);
      if (PACE_US) { struct timespec d = {0, PACE_US * 1000}; nanosleep(&d, 0); }
    }
    fdatasync(out);
    for (long at = from; at < to; at += CHUNK) pread(fd, sink, CHUNK, at);
    zeroed = to; fills++;
  }
  return 0;
}
static void *loop(void *arg) {
  static char buf[300 * 4096]; memset(buf, 'x', sizeof buf);
  for (;;) {
    pthread_mutex_lock(&mu);
    if (acked >= total) { pthread_mutex_unlock(&mu); return 0; }
    double tn = now(); long arrived = tn < t0 ? 0 : (long)((tn - t0) * RATE) + 1; if (arrived > total) arrived = total;
    if (arrived > written) {
      long k = arrived - written; if (k > 4096) k = 4096;
      pwrite(fd, buf, k * REC, pos); pos += k * REC; written += k;
    }
    long upto = written; int nothing = upto == acked;
    pthread_mutex_unlock(&mu);
    if (!nothing && MINGAP_US && now() < lastsync + MINGAP_US / 1e6) { struct timespec d = {0, 20000}; nanosleep(&d, 0); continue; }
    if (nothing) { struct timespec d = {0, 50000}; nanosleep(&d, 0); continue; }
    double s = now(); lastsync = s; fdatasync(fd); double e = now();
    pthread_mutex_lock(&mu);
    syncs++; if (e - s > 0.002) slow++;
    for (long i = acked; i < upto; i++) ack[i] = e;
    if (upto > acked) acked = upto;
    pthread_mutex_unlock(&mu);
  }
}
static int cmp(const void *a, const void *b) { double x = *(double *)a, y = *(double *)b; return x < y ? -1 : x > y; }
int main(int argc, char **argv) {
  mode = atoi(argv[1]); double secs = atof(argv[2]);
  if (argc > 4) CHUNK = atol(argv[4]); if (argc > 5) AHEAD = atol(argv[5]); if (argc > 6) PACE_US = atol(argv[6]);
  if (argc > 7) REC = atol(argv[7]); if (argc > 8) MINGAP_US = atol(argv[8]);
  fd = open(argv[3], O_RDWR | O_CREAT | O_TRUNC, 0644);
  dfd = open(argv[3], O_RDWR | O_DIRECT);
  total = (long)(secs * RATE);
  long size = mode == 0 ? total * REC + (8 << 20) : (mode == 2 ? 0 : 1 << 20);
  char *z = calloc(1, 1 << 20); for (long p = 0; p < size; p += 1 << 20) pwrite(fd, z, 1 << 20, p); fsync(fd);
  zeroed = size;
  ack = calloc(total, sizeof(double));
  t0 = now() + 0.05; pthread_t th, f;
  if (mode == 1 || mode >= 3) pthread_create(&f, 0, filler, 0);
  pthread_create(&th, 0, loop, 0);
  pthread_join(th, 0); done = 1;
  double *lat = malloc(total * sizeof(double));
  for (long i = 0; i < total; i++) lat[i] = (ack[i] - (t0 + (double)i / RATE)) * 1000;
  qsort(lat, total, sizeof(double), cmp);
  long over2 = 0; for (long i = 0; i < total; i++) if (lat[i] > 2) over2++;
  printf("mode=%d chunk=%ld ahead=%ld pace=%ldus rec=%ld syncs=%ld slow(>2ms)=%ld fills=%ld | ms p50=%.2f p99=%.2f p99.9=%.2f max=%.1f over2ms=%.2f%%\n",
         mode, CHUNK, AHEAD, PACE_US, REC, syncs, slow, fills, lat[total / 2], lat[(long)(total * 0.99)], lat[(long)(total * 0.999)], lat[total - 1],
         100.0 * over2 / total);
  unlink(argv[3]); return 0;
}
