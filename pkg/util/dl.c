/* pkg/util/dl.c: dl_open (dl.h). dlopen and dlsym are in glibc's libc itself since 2.34. */
#include "util/dl.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <string.h>

int dl_open(struct dl_library *lib, struct nano_err *err, ...)
{
	void *handle;
	va_list ap;
	void **slot;
	int r = 0;

	pthread_mutex_lock(&lib->lock);
	if (lib->handle) {
		pthread_mutex_unlock(&lib->lock);
		return 0;
	}
	/* RTLD_NOW: a symbol it lacks (a missing dependency) fails here, not in a call later */
	handle = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
	if (!handle) {
		r = nano_err_set(err, ELIBACC, "%s cannot be loaded: %s", lib->soname, dlerror());
		pthread_mutex_unlock(&lib->lock);
		return r;
	}
	/* first every name, then every slot: a library without one of them sets none */
	va_start(ap, err);
	while ((slot = va_arg(ap, void **))) {
		const char *name = va_arg(ap, const char *);

		if (!dlsym(handle, name)) {
			r = nano_err_set(err, ELIBACC, "%s cannot be loaded: it has no %s",
			                 lib->soname, name);
			break;
		}
	}
	va_end(ap);
	if (r < 0) {
		dlclose(handle);
		pthread_mutex_unlock(&lib->lock);
		return r;
	}
	va_start(ap, err);
	while ((slot = va_arg(ap, void **)))
		*slot = dlsym(handle, va_arg(ap, const char *));
	va_end(ap);
	lib->handle = handle;
	pthread_mutex_unlock(&lib->lock);
	return 0;
}
