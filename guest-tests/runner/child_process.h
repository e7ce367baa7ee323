/* Runs one test program with a timeout, relaying its output line by line to a callback. */
#ifndef AVPS_CHILD_PROCESS_H
#define AVPS_CHILD_PROCESS_H

#include <stdbool.h>

typedef void (*child_line_fn)(void *ctx, const char *line);

struct child_outcome {
	bool timed_out;
	int exit_code;     /* valid when exited */
	int signal;        /* non-zero when killed by a signal */
	bool exited;
	bool spawn_failed;
	int spawn_errno;
	double seconds;
};

/* Runs path (argv[0] = path) in directory cwd, stdout+stderr merged, killing its whole
 * process group after timeout_s. Each complete output line goes to on_line. */
struct child_outcome run_child(const char *path, const char *cwd, int timeout_s,
			       child_line_fn on_line, void *ctx);

#endif
