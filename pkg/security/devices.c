/* pkg/security/devices.c: the devices a container may open or make, with the nodes the shim
 * puts in its /dev and the rules the devices controller enforces (v1 devices.allow, v2 the BPF
 * program pkg/cgroup builds from the same list). Pure tables. */
#include <inttypes.h>
#include <string.h>

#include "security.h"

/* runc's AllowedDevices (libcontainer/specconv), less its "c *:* m" and "b *:* m" (nanolet
 * refuses mknod of any other device) and /dev/net/tun (no pod network device is made). */
static const struct security_device defaults[] = {
        {'c', 1, 3, "rwm", "/dev/null", 0666},
        {'c', 1, 5, "rwm", "/dev/zero", 0666},
        {'c', 1, 7, "rwm", "/dev/full", 0666},
        {'c', 1, 8, "rwm", "/dev/random", 0666},
        {'c', 1, 9, "rwm", "/dev/urandom", 0666},
        {'c', 5, 0, "rwm", "/dev/tty", 0666},
        /* the container's own devpts: its ptmx (5:2) and the terminals it opens (136:*) */
        {'c', 5, 2, "rwm", NULL, 0},
        {'c', 136, SECURITY_DEVICE_ANY, "rwm", NULL, 0},
};

static const struct security_device all[] = {
        {'a', SECURITY_DEVICE_ANY, SECURITY_DEVICE_ANY, "rwm", NULL, 0},
};

const struct security_device *security_devices_default(size_t *n)
{
	*n = ELEMENTSOF(defaults);
	return defaults;
}

const struct security_device *security_devices_all(size_t *n)
{
	*n = ELEMENTSOF(all);
	return all;
}

static void number(char *buf, size_t size, int64_t v)
{
	if (v == SECURITY_DEVICE_ANY)
		snprintf(buf, size, "*");
	else
		snprintf(buf, size, "%" PRId64, v);
}

void security_device_rule(const struct security_device *d, char *buf, size_t size)
{
	char major[24], minor[24];

	number(major, sizeof(major), d->major);
	number(minor, sizeof(minor), d->minor);
	snprintf(buf, size, "%c %s:%s %s", d->type, major, minor, d->access);
}
