// Group commit model at RATE records/s of 200 B (deterministic arrivals). N sync threads: each takes the lock,
// writes every record that has arrived (pwrite at the file's end), notes how far the file is written, releases the
// lock, fdatasyncs, then acknowledges (in order) everything up to what it had written. N=1 is PartitionLog today;
// N=2 lets group N+1 sync while group N's sync still runs. Latency = ack time - arrival time, per record.
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#define RATE 10000
static int fd; static long size = 64L << 20; static double t0; static long total;
static double *ack; static long written, acked, pos; static long syncs, slow;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
static void *loop(void *arg) {
  static char buf[200 * 4096]; memset(buf, 'x', sizeof buf);
  for (;;) {
    pthread_mutex_lock(&mu);
    if (acked >= total) { pthread_mutex_unlock(&mu); return 0; }
    double tn = now(); long arrived = tn < t0 ? 0 : (long)((tn - t0) * RATE) + 1; if (arrived > total) arrived = total;
    if (arrived > written) {
      long k = arrived - written; if (k > 4096) k = 4096;
      if (pos + k * 200 > size) pos = 0;
      pwrite(fd, buf, k * 200, pos); pos += k * 200; written += k;
    }
    long upto = written; int nothing = upto == acked;
    pthread_mutex_unlock(&mu);
    if (nothing) { struct timespec d = {0, 50000}; nanosleep(&d, 0); continue; }
    double s = now(); fdatasync(fd); double e = now();
    pthread_mutex_lock(&mu);
    syncs++; if (e - s > 0.010) slow++;
    for (long i = acked; i < upto; i++) ack[i] = e;
    if (upto > acked) acked = upto;
    pthread_mutex_unlock(&mu);
  }
}
static int cmp(const void *a, const void *b) { double x = *(double *)a, y = *(double *)b; return x < y ? -1 : x > y; }
int main(int argc, char **argv) {
  int threads = atoi(argv[1]); double secs = atof(argv[2]);
  fd = open(argv[3], O_RDWR | O_CREAT | O_TRUNC, 0644);
  char *z = calloc(1, 1 << 20); for (long p = 0; p < size; p += 1 << 20) pwrite(fd, z, 1 << 20, p); fsync(fd);
  total = (long)(secs * RATE); ack = calloc(total, sizeof(double));
  t0 = now() + 0.05; pthread_t th[4];
  for (long i = 0; i < threads; i++) pthread_create(&th[i], 0, loop, 0);
  for (int i = 0; i < threads; i++) pthread_join(th[i], 0);
  double *lat = malloc(total * sizeof(double));
  for (long i = 0; i < total; i++) lat[i] = (ack[i] - (t0 + (double)i / RATE)) * 1000;
  qsort(lat, total, sizeof(double), cmp);
  long over2 = 0; for (long i = 0; i < total; i++) if (lat[i] > 2) over2++;
  printf("threads=%d syncs=%ld slow(>10ms)=%ld | latency ms p50=%.2f p99=%.2f p99.9=%.2f max=%.1f over2ms=%.2f%%\n",
         threads, syncs, slow, lat[total / 2], lat[(long)(total * 0.99)], lat[(long)(total * 0.999)], lat[total - 1],
         100.0 * over2 / total);
  unlink(argv[3]); return 0;
}
