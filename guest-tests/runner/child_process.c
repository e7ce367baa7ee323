/* Runs one test program with a timeout, relaying its output line by line to a callback. */
#include "child_process.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct line_buffer {
	char text[1024];
	size_t len;
};

static void feed(struct line_buffer *lb, const char *data, size_t n, child_line_fn on_line, void *ctx)
{
	for (size_t i = 0; i < n; i++) {
		char c = data[i];
		if (c == '\r')
			continue;
		if (c == '\n' || lb->len == sizeof(lb->text) - 1) {
			lb->text[lb->len] = '\0';
			on_line(ctx, lb->text);
			lb->len = 0;
			if (c == '\n')
				continue;
		}
		lb->text[lb->len++] = c;
	}
}

/* A pseudo-terminal makes the child's stdio line-buffered, so each line reaches the
 * console when it happens (the harness times cases by arrival). Falls back to a pipe. */
static int open_output_channel(int fds[2])
{
	int master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master >= 0 && grantpt(master) == 0 && unlockpt(master) == 0) {
		const char *name = ptsname(master);
		int slave = name ? open(name, O_RDWR | O_NOCTTY) : -1;
		if (slave >= 0) {
			struct termios t;
			if (tcgetattr(slave, &t) == 0) {
				t.c_oflag &= ~(tcflag_t)ONLCR; /* keep "\n" as is */
				t.c_lflag &= ~(tcflag_t)ECHO;
				tcsetattr(slave, TCSANOW, &t);
			}
			fds[0] = master;
			fds[1] = slave;
			return 0;
		}
	}
	if (master >= 0)
		close(master);
	return pipe(fds);
}

struct child_outcome run_child(const char *path, const char *cwd, int timeout_s,
			       child_line_fn on_line, void *ctx)
{
	struct child_outcome out = { 0 };
	int fds[2];
	if (open_output_channel(fds) != 0) {
		out.spawn_failed = true;
		out.spawn_errno = errno;
		return out;
	}
	double start = now_seconds();
	pid_t pid = fork();
	if (pid < 0) {
		out.spawn_failed = true;
		out.spawn_errno = errno;
		close(fds[0]);
		close(fds[1]);
		return out;
	}
	if (pid == 0) {
		setpgid(0, 0);
		dup2(fds[1], STDOUT_FILENO);
		dup2(fds[1], STDERR_FILENO);
		close(fds[0]);
		close(fds[1]);
		if (cwd && chdir(cwd) != 0)
			_exit(127);
		execl(path, path, (char *)NULL);
		_exit(127);
	}
	setpgid(pid, pid);
	close(fds[1]);
	fcntl(fds[0], F_SETFL, O_NONBLOCK);

	struct line_buffer lb = { .len = 0 };
	bool eof = false;
	int status = 0;
	while (!eof) {
		double remaining = start + timeout_s - now_seconds();
		if (remaining <= 0) {
			out.timed_out = true;
			kill(-pid, SIGKILL);
			break;
		}
		struct pollfd p = { .fd = fds[0], .events = POLLIN };
		int r = poll(&p, 1, remaining > 1 ? 1000 : (int)(remaining * 1000) + 1);
		if (r < 0 && errno != EINTR)
			break;
		if (r > 0) {
			char buf[512];
			ssize_t n = read(fds[0], buf, sizeof(buf));
			if (n > 0)
				feed(&lb, buf, (size_t)n, on_line, ctx);
			else if (n == 0 || (errno != EAGAIN && errno != EINTR))
				eof = true; /* a pty master reads EIO once the child side is closed */
		}
	}
	if (lb.len) {
		lb.text[lb.len] = '\0';
		on_line(ctx, lb.text);
	}
	close(fds[0]);
	/* Output closed (or timeout): reap, still bounded by the timeout. */
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (!out.timed_out && now_seconds() > start + timeout_s) {
			out.timed_out = true;
			kill(-pid, SIGKILL);
		}
		if (out.timed_out) {
			waitpid(pid, &status, 0);
			break;
		}
		usleep(10000);
	}
	kill(-pid, SIGKILL); /* leftovers of the test's process group */
	out.seconds = now_seconds() - start;
	if (WIFEXITED(status)) {
		out.exited = true;
		out.exit_code = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status)) {
		out.signal = WTERMSIG(status);
	}
	return out;
}
