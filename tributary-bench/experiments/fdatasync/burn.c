// N threads, each busy BUSY_US then sleeping SLEEP_US, until killed: a CPU load of N*busy/(busy+sleep) cores
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
static long busy, sl;
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
static void *run(void *a) { for (;;) { double e = now() + busy / 1e6; while (now() < e) ; usleep(sl); } }
int main(int c, char **v) { int n = atoi(v[1]); busy = atol(v[2]); sl = atol(v[3]); pthread_t t; for (int i = 0; i < n; i++) pthread_create(&t, 0, run, 0); pause(); }
