// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include "escape.h"
#include "log.h"

#define MAX_TEXT 480

struct escape_ent {
	char *abs; /* resolved path */
	char *rel; /* as the compiler printed it, without "./" */
	int line;
	char text[MAX_TEXT];
};

struct escape_db {
	struct escape_ent *v;
	size_t n, cap;
	char go[PATH_MAX];
};

const char *escape__go_cmd(const struct escape_db *db)
{
	return db->go;
}

static bool executable(const char *p)
{
	return access(p, X_OK) == 0;
}

/* The go command for go_version ("go1.22.12"); see escape.h for the order. */
static int find_go(const char *go_version, char *out, size_t len)
{
	const char *env_go = getenv("GOPRY_GO"), *cache = getenv("GOPRY_CACHE");
	char exe[PATH_MAX], *slash;
	int minor = 0;
	ssize_t n;

	if (env_go && executable(env_go)) {
		snprintf(out, len, "%s", env_go);
		return 0;
	}
	if (sscanf(go_version, "go1.%d", &minor) == 1) {
		if (cache) {
			snprintf(out, len, "%s/go/1.%d/usr/lib/go-1.%d/bin/go", cache, minor, minor);
			if (executable(out))
				return 0;
		}
		/* A development tree: .output/gopry next to .cache/go. */
		n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		if (n > 0) {
			exe[n] = 0;
			slash = strrchr(exe, '/');
			if (slash) {
				*slash = 0;
				if (snprintf(out, len, "%s/../.cache/go/1.%d/usr/lib/go-1.%d/bin/go",
					     exe, minor, minor) < (int)len &&
				    executable(out))
					return 0;
			}
		}
		snprintf(out, len, "/usr/lib/go-1.%d/bin/go", minor);
		if (executable(out))
			return 0;
	}
	if (executable("/usr/local/go/bin/go")) {
		snprintf(out, len, "/usr/local/go/bin/go");
		return 0;
	}
	if (!system("command -v go >/dev/null 2>&1")) {
		snprintf(out, len, "go");
		return 0;
	}
	return -ENOENT;
}

static struct escape_ent *find(struct escape_db *db, const char *abs, int line)
{
	for (size_t i = 0; i < db->n; i++)
		if (db->v[i].line == line && !strcmp(db->v[i].abs, abs))
			return &db->v[i];
	return NULL;
}

static void append(char *dst, const char *s)
{
	size_t len = strlen(dst);

	if (len + 4 >= MAX_TEXT)
		return;
	snprintf(dst + len, MAX_TEXT - len, "%s%s", len ? "; " : "", s);
	if (strlen(dst) == MAX_TEXT - 1)
		memcpy(dst + MAX_TEXT - 4, "...", 4);
}

/*
 * One line of -m=2 output: "./f.go:30:26: make([]byte, 8192) escapes to heap:"
 * opens an explanation whose "  flow:"/"    from" lines follow at the same
 * position; "moved to heap: x" stands alone.
 */
static int parse_line(struct escape_db *db, const char *dir, char *s)
{
	char *p1, *p2, *p3, *msg, abs[PATH_MAX];
	struct escape_ent *e;
	bool explain;
	int line;

	p1 = strchr(s, ':');
	if (!p1)
		return 0;
	line = strtol(p1 + 1, &p2, 10);
	if (p2 == p1 + 1 || *p2 != ':')
		return 0;
	strtol(p2 + 1, &p3, 10);
	if (p3 == p2 + 1 || p3[0] != ':' || p3[1] != ' ')
		return 0;
	msg = p3 + 2;
	*p1 = 0;
	explain = msg[0] == ' ';
	if (!explain && !strstr(msg, "escapes to heap") && !strstr(msg, "moved to heap"))
		return 0;
	/* Not realpath(): the binary names a symlinked file by its link. */
	if (s[0] == '/')
		snprintf(abs, sizeof(abs), "%s", s);
	else
		if (snprintf(abs, sizeof(abs), "%s/%s", dir, strncmp(s, "./", 2) ? s : s + 2) >=
		    (int)sizeof(abs))
			return 0;
	e = find(db, abs, line);
	if (!e) {
		if (explain)
			return 0;
		if (db->n == db->cap) {
			size_t cap = db->cap ? db->cap * 2 : 64;
			struct escape_ent *nv = realloc(db->v, cap * sizeof(*nv));

			if (!nv)
				return -ENOMEM;
			db->v = nv;
			db->cap = cap;
		}
		e = &db->v[db->n];
		memset(e, 0, sizeof(*e));
		e->abs = strdup(abs);
		e->rel = strdup(strncmp(s, "./", 2) ? s : s + 2);
		if (!e->abs || !e->rel) {
			free(e->abs);
			free(e->rel);
			return -ENOMEM;
		}
		e->line = line;
		db->n++;
	}
	while (*msg == ' ')
		msg++;
	/* The summary line repeats the head of the explanation: keep one. */
	if (!explain) {
		size_t mlen = strlen(msg);

		if (mlen && msg[mlen - 1] == ':')
			msg[mlen - 1] = 0;
		if (strstr(e->text, msg))
			return 0;
	}
	append(e->text, msg);
	return 0;
}

int escape__load(const char *dir, const char *go_version, struct escape_db **out)
{
	char tmpl[] = "/tmp/gopry-escape.XXXXXX", outdir[64], absdir[PATH_MAX];
	struct escape_db *db;
	int pfd[2], status, err = 0;
	char *line = NULL;
	size_t cap = 0;
	pid_t pid;
	FILE *f;

	*out = NULL;
	if (!realpath(dir, absdir))
		return -errno;
	db = calloc(1, sizeof(*db));
	if (!db)
		return -ENOMEM;
	err = find_go(go_version, db->go, sizeof(db->go));
	if (err)
		goto free_db;
	if (!mkdtemp(tmpl)) {
		err = -errno;
		goto free_db;
	}
	snprintf(outdir, sizeof(outdir), "%s/", tmpl);
	if (pipe(pfd)) {
		err = -errno;
		goto rm_tmp;
	}
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(pfd[0]);
		close(pfd[1]);
		goto rm_tmp;
	}
	if (pid == 0) {
		dup2(pfd[1], 2);
		dup2(open("/dev/null", O_WRONLY), 1);
		close(pfd[0]);
		close(pfd[1]);
		if (chdir(absdir))
			_exit(127);
		/* Never fetch a newer toolchain: the analysis is of the target's. */
		setenv("GOTOOLCHAIN", "local", 1);
		execlp(db->go, db->go, "build", "-gcflags=-m=2", "-o", outdir, "./...", NULL);
		_exit(127);
	}
	close(pfd[1]);
	f = fdopen(pfd[0], "r");
	if (!f) {
		err = -errno;
		close(pfd[0]);
	}
	while (f && getline(&line, &cap, f) > 0) {
		line[strcspn(line, "\n")] = 0;
		if (!err)
			err = parse_line(db, absdir, line);
	}
	free(line);
	if (f)
		fclose(f);
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
		wlog("%s build -gcflags=-m=2 in %s failed", db->go, absdir);
		if (!db->n && !err)
			err = -EIO;
	}
rm_tmp:
	{
		char cmd[128];

		/* The build output: only binaries the go command put there. */
		snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", tmpl);
		if (system(cmd))
			wlog("could not remove %s", tmpl);
	}
	if (!err) {
		*out = db;
		return 0;
	}
free_db:
	escape__free(db);
	return err;
}

void escape__free(struct escape_db *db)
{
	if (!db)
		return;
	for (size_t i = 0; i < db->n; i++) {
		free(db->v[i].abs);
		free(db->v[i].rel);
	}
	free(db->v);
	free(db);
}

const char *escape__at(const struct escape_db *db, const char *file, int line)
{
	size_t flen = strlen(file);

	for (size_t i = 0; i < db->n; i++) {
		const struct escape_ent *e = &db->v[i];
		size_t rlen = strlen(e->rel);

		if (e->line != line)
			continue;
		if (!strcmp(e->abs, file))
			return e->text;
		/* Built elsewhere: the module-relative path is a suffix of the binary's. */
		if (flen > rlen && file[flen - rlen - 1] == '/' && !strcmp(file + flen - rlen, e->rel))
			return e->text;
	}
	return NULL;
}
